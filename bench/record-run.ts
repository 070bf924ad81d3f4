// Appends a run to docs/dev/benchmarks.md, inside this benchmark's own section (other benchmarks
// keep theirs), creating the file or the section when missing.
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { cpus, totalmem } from "node:os";
import { fileURLToPath } from "node:url";

const FILE = fileURLToPath(new URL("../docs/dev/benchmarks.md", import.meta.url));

export interface BenchSection {
  /** The marker name: runs go between <!-- bench:NAME:start --> and <!-- bench:NAME:end -->. */
  name: string;
  heading: string;
  intro: string[];
}

const DISPATCH: BenchSection = {
  name: "dispatch",
  heading: "## Agent dispatch (`npm run bench:dispatch`)",
  intro: [
    "Real control plane (`next start` of the production build) on the machine's PostgreSQL (fresh",
    "database), N simulated agents speaking the real protocol (Ed25519-signed requests, 25 s",
    "long-polls, a heartbeat every 15 s), jobs created for waiting agents at `--rate` per second.",
    "Dispatch = job committed -> that agent's poll answered. CPU is % of one core used by the",
    "control-plane process tree during the measured window. Goals: dispatch p50 <= 50 ms and",
    "p99 <= 250 ms at 1,000 agents; heartbeat p99 <= 50 ms. The simulated agents run on the same",
    "machine (they compete for the same 2 cores).",
  ],
};

export function recordRun(
  run: { command: string; line: string; notes: string },
  section: BenchSection = DISPATCH,
): void {
  const START = `<!-- bench:${section.name}:start -->`;
  const END = `<!-- bench:${section.name}:end -->`;
  const text = existsSync(FILE) ? readFileSync(FILE, "utf8") : "# Benchmarks\n";
  const machine = `${cpus().length} cores (${cpus()[0]?.model.trim() ?? "?"}), ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}`;
  const row = `| ${new Date().toISOString().slice(0, 16).replace("T", " ")} | \`${run.command}\` | \`${run.line}\` | ${machine}; ${run.notes} |`;
  if (!text.includes(START)) {
    const block = [
      "",
      section.heading,
      "",
      ...section.intro,
      "",
      START,
      "| when (UTC) | command | result | machine and notes |",
      "| --- | --- | --- | --- |",
      row,
      END,
      "",
    ].join("\n");
    writeFileSync(FILE, `${text.trimEnd()}\n${block}`);
    return;
  }
  writeFileSync(FILE, text.replace(END, `${row}\n${END}`));
}
