import { execFile } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { executable, requireComponents } from "@capstan/testkit";
import { afterAll, describe, expect, it } from "vitest";
import { capture } from "../test/capture-io";
import { main } from "./main";

const repo = join(import.meta.dirname, "../../..");
const brokenDir = join(repo, "packages/templates/test-data/workflows/broken");
const doc = readFileSync(join(repo, "docs/user/workflow-format.md"), "utf8");
const blocks = [...doc.matchAll(/```yaml\n([\s\S]*?)```/g)].map((m) => m[1]!);
const composeFile = blocks.find((b) => b.startsWith("# compose.yaml"))!;
const examples = blocks.filter((b) => b !== composeFile);

const workspaces: string[] = [];
afterAll(() => {
  for (const dir of workspaces) rmSync(dir, { recursive: true, force: true });
});

function workspace(source: string): string {
  const dir = mkdtempSync(join(tmpdir(), "capstan-cli-"));
  workspaces.push(dir);
  writeFileSync(join(dir, "capstan.yaml"), source);
  writeFileSync(join(dir, "compose.yaml"), composeFile);
  return dir;
}

describe("capstan validate", () => {
  it.each(examples.map((e) => [/^name: (\S+)/m.exec(e)![1]!, e]))(
    "passes the documented example %s",
    async (_n, source) => {
      const io = capture();
      const dir = workspace(source);
      // Nix builds need the host's allowNixBuilds (off by default): the nix example names it.
      const policy = /^ {4}nix:/m.test(source) ? ["--policy", join(dir, "policy.json")] : [];
      writeFileSync(join(dir, "policy.json"), JSON.stringify({ allowNixBuilds: true }));
      const code = await main(["validate", join(dir, "capstan.yaml"), ...policy], io);
      expect({ code, stderr: io.stderr }).toEqual({ code: 0, stderr: "" });
      expect(io.stdout).toMatch(/valid workflow .* content hash [0-9a-f]{64}/);
    },
  );

  it.each(readdirSync(brokenDir).filter((f) => f.endsWith(".yaml")))(
    "fails on broken example %s naming the path",
    async (file) => {
      const source = readFileSync(join(brokenDir, file), "utf8");
      const expected = /^# expect: (\S+)/m.exec(source)![1]!;
      const io = capture();
      const code = await main(["validate", join(brokenDir, file)], io);
      expect(code).toBe(1);
      expect(io.stderr).toContain(`${file}: ${expected}`);
    },
  );

  it("reads Compose files only inside the workflow's folder", async () => {
    const dir = workspace(
      "name: w\ntargets: { hosts: [h] }\nservices:\n  s:\n    compose: { file: x/../../etc/passwd }\n",
    );
    const io = capture();
    expect(await main(["validate", join(dir, "capstan.yaml")], io)).toBe(1);
    expect(io.stderr).toMatch(/services\.s\.compose\.file: must not contain '\.\.'/);
  });

  it("applies --policy and --no-policy", async () => {
    const source =
      "name: w\ntargets: { hosts: [h] }\nservices:\n  s:\n    compose:\n      inline:\n        services:\n          a: { image: nginx, privileged: true }\n";
    const dir = workspace(source);
    const file = join(dir, "capstan.yaml");
    expect(await main(["validate", file], capture())).toBe(1);
    expect(await main(["validate", file, "--no-policy"], capture())).toBe(0);
    writeFileSync(join(dir, "policy.json"), JSON.stringify({ allowPrivileged: true }));
    expect(await main(["validate", file, "--policy", join(dir, "policy.json")], capture())).toBe(0);
  });

  it("runs through the bin shim with exit codes 0 and 1", async () => {
    const bin = join(import.meta.dirname, "../bin/capstan.js");
    const run = promisify(execFile);
    const ok = await run(process.execPath, [bin, "validate", join(workspace(examples[0]!), "capstan.yaml")]);
    expect(ok.stdout).toMatch(/valid workflow/);
    const failed = await run(process.execPath, [
      bin,
      "validate",
      join(brokenDir, "relative-exec.yaml"),
    ]).catch((e) => e);
    expect(failed.code).toBe(1);
    expect(failed.stderr).toContain("services.api.systemd.exec[0]: must be an absolute path");
  }, 30_000); // two cold starts of node + tsx; slow on a loaded 2-core CI machine

  it("explains usage and refuses unknown commands", async () => {
    const io = capture();
    expect(await main(["frobnicate"], io)).toBe(2);
    expect(io.stderr).toMatch(/unknown command/);
    expect(await main(["deploy"], capture())).toBe(2);
  });

  it("says so when given a folder instead of the workflow file", async () => {
    const io = capture();
    expect(await main(["validate", brokenDir], io)).not.toBe(0);
    expect(io.stderr).toContain(`${brokenDir} is a folder: pass the workflow file`);
  });
});

describe("capstan export", () => {
  const mixed = examples.find((e) => e.startsWith("name: analytics"))!;

  it("writes compose files, units, .env.example without values, a README and a Dockerfile", async () => {
    const dir = workspace(mixed);
    const out = join(dir, "out");
    const io = capture();
    expect(
      await main(["export", join(dir, "capstan.yaml"), "--out", out, "--dockerfile", "python"], io),
    ).toBe(0);
    for (const file of [
      "README.md",
      ".env.example",
      "Dockerfile",
      ".dockerignore",
      "compose/store/compose.yaml",
      "systemd/capstan-analytics-ingest.service",
    ])
      expect(existsSync(join(out, file)), file).toBe(true);
    expect(readFileSync(join(out, ".env.example"), "utf8")).toMatch(/^CH_PASSWORD=$/m);
    expect(readFileSync(join(out, "Dockerfile"), "utf8")).toMatch(/^USER app$/m);
    expect(readFileSync(join(out, "README.md"), "utf8")).toMatch(
      /### store[\s\S]*### ingest: systemd service \(after store\)/,
    );
    expect(statSync(join(out, "README.md")).mode & 0o777).toBe(0o644);
    // A second export into the same folder needs --force.
    expect(await main(["export", join(dir, "capstan.yaml"), "--out", out], capture())).toBe(1);
    expect(await main(["export", join(dir, "capstan.yaml"), "--out", out, "--force"], capture())).toBe(0);
  });

  const tools = requireComponents(
    "export checked by real tools",
    executable("/usr/bin/docker-compose"),
    executable("/usr/bin/systemd-analyze"),
  );
  it.skipIf(!tools)(
    "exports files that docker-compose and systemd-analyze accept",
    { timeout: 60_000 },
    async () => {
      const dir = workspace(mixed);
      const out = join(dir, "out");
      expect(await main(["export", join(dir, "capstan.yaml"), "--out", out], capture())).toBe(0);
      const run = promisify(execFile);
      writeFileSync(join(out, "compose/store/.env"), "CH_PASSWORD='x'\n");
      await run("docker-compose", [
        "--project-directory",
        join(out, "compose/store"),
        "-f",
        join(out, "compose/store/compose.yaml"),
        "config",
        "-q",
      ]);
      const verify = await run("systemd-analyze", [
        "verify",
        join(out, "systemd/capstan-analytics-ingest.service"),
      ]).catch((e) => e);
      // The unit's program lives in the (absent) artifact: verify may only complain about that.
      const complaints = String(verify.stderr ?? "")
        .split("\n")
        .filter(
          (l: string) =>
            l.includes("capstan-analytics") && !/Command .* is not executable|No such file/.test(l),
        );
      expect(complaints).toEqual([]);
    },
  );
});
