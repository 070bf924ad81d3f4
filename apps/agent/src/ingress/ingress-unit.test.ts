// capstan-ingress.service as the agent writes it, checked by the real systemd-analyze: it verifies
// cleanly and its sandbox keeps Caddy to its own folder (exposure score printed by systemd).
import { execFile } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { executable, requireComponents } from "@capstan/testkit";
import { describe, expect, it } from "vitest";
import { tempDir } from "../../test/helpers";
import { caddyPaths } from "./caddy-process";
import { INGRESS_UNIT, renderIngressUnit } from "./ingress-process";

const ok = requireComponents(
  "capstan-ingress.service checks",
  executable("/usr/bin/systemd-analyze"),
  executable("/usr/bin/caddy"),
);

describe.skipIf(!ok)("capstan-ingress.service", () => {
  it("passes systemd-analyze verify and keeps its exposure low", async () => {
    const dir = tempDir("ingress-unit");
    const paths = caddyPaths(join(dir, "ingress"));
    mkdirSync(paths.dir, { recursive: true });
    const text = renderIngressUnit(paths);
    expect(text).toContain(`ExecStart=/usr/bin/caddy run --resume --config ${paths.bootstrap}`);
    expect(text).toContain(`ReadWritePaths=${paths.dir}`);
    const file = join(dir, INGRESS_UNIT);
    writeFileSync(file, text);
    const run = (args: string[]) =>
      promisify(execFile)("systemd-analyze", args, { cwd: dir }).catch(
        (e: { code: number; stdout: string; stderr: string }) => e,
      );
    const verify = await run(["verify", file]);
    const complaints = `${verify.stderr}`.split("\n").filter((l) => l.includes(INGRESS_UNIT));
    expect(complaints).toEqual([]);
    const security = await run(["security", "--offline=yes", file]);
    const score = Number(/Overall exposure level for \S+: ([0-9.]+)/.exec(security.stdout)?.[1]);
    expect(score).toBeLessThanOrEqual(4);
  }, 120_000);
});
