// Real systemd reads the rendered unit and EnvironmentFile: every injection string must reach
// the process byte-exact, as one argument or one variable, and nothing else may run.
import { randomBytes } from "node:crypto";
import { dockerImage, requireComponents, SYSTEMD_HOST_IMAGE, systemdHostRunArgs } from "@capstan/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { INJECTION_CORPUS, run } from "../../test/tools";
import { systemdServiceSpecSchema } from "../workflow/spec";
import { renderSystemdService } from "./render-systemd-service";

const ok = requireComponents("systemd byte-exact checks", dockerImage(SYSTEMD_HOST_IMAGE));

describe.skipIf(!ok)("rendered units under real systemd", { timeout: 120_000 }, () => {
  const container = `capstan-templates-sd-${randomBytes(4).toString("hex")}`;
  const docker = (...args: string[]) => run("docker", args);
  const exec = (...args: string[]) => docker("exec", container, ...args);

  // --network host as in PLATFORM.md (user namespaces fail in a --network none container); the
  // probe unit makes no network traffic.
  beforeAll(async () => {
    const started = await docker(...systemdHostRunArgs(container));
    expect(started.stderr).toBe("");
    for (let i = 0; i < 60; i++) {
      const state = await exec("systemctl", "is-system-running");
      if (/running|degraded/.test(state.stdout)) return;
      await new Promise((r) => setTimeout(r, 500));
    }
    throw new Error("systemd did not come up in the test container");
  }, 60_000);

  afterAll(async () => {
    await docker("rm", "-f", container);
  });

  it("passes every argument and variable through byte-exact and runs nothing else", async () => {
    const script =
      'require("fs").writeFileSync(process.env.STATE_DIRECTORY + "/out.json", JSON.stringify({ argv: process.argv.slice(1), env: process.env }))';
    const env = Object.fromEntries(INJECTION_CORPUS.map((v, i) => [`V${i}`, v]));
    const spec = systemdServiceSpecSchema.parse({
      systemd: {
        exec: ["/usr/local/bin/node", "-e", script, ...INJECTION_CORPUS],
        restart: "no",
        hardening: { StateDirectory: "capstan-probe" },
      },
      env,
      secrets: ["TOKEN"],
    });
    const rendered = renderSystemdService({
      workflow: "probe",
      service: "argv",
      spec,
      secrets: { TOKEN: "s3cr'et\"$%`\\" },
    });
    const unit = rendered.unit({
      serviceDir: "/var/lib/capstan/systemd/probe/argv",
      environmentFile: "/etc/capstan-probe.env",
      // This kernel has no seccomp filters (see PLATFORM.md); the agent drops it the same way.
      omitDirectives: ["SystemCallFilter"],
    });
    const write = (path: string, text: string) =>
      exec(
        "node",
        "-e",
        `require("fs").writeFileSync(${JSON.stringify(path)}, ${JSON.stringify(text)}, { mode: 0o600 })`,
      );
    await write(`/etc/systemd/system/${rendered.unitName}`, unit);
    await write("/etc/capstan-probe.env", rendered.environment);
    await exec("systemctl", "daemon-reload");
    const start = await exec("systemctl", "start", rendered.unitName);
    const journal =
      start.code === 0 ? "" : (await exec("journalctl", "-u", rendered.unitName, "--no-pager")).stdout;
    expect({ code: start.code, journal }).toEqual({ code: 0, journal: "" });
    let out = "";
    for (let i = 0; i < 40 && !out; i++) {
      out = (await exec("cat", "/var/lib/capstan-probe/out.json")).stdout;
      if (!out) await new Promise((r) => setTimeout(r, 250));
    }
    const got = JSON.parse(out) as { argv: string[]; env: Record<string, string> };
    expect(got.argv).toEqual(INJECTION_CORPUS);
    for (const [key, value] of Object.entries(env))
      expect({ key, value: got.env[key] }).toEqual({ key, value });
    expect(got.env.TOKEN).toBe("s3cr'et\"$%`\\");
    expect((await exec("ls", "/tmp/capstan-injected")).code).not.toBe(0);
  });
});
