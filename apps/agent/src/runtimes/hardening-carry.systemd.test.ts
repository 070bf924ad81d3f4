// The hardening retry's softenings carried to the next release, inside a real systemd host
// container where Node is killed by the strict SystemCallFilter= (SIGSYS): the first release pays
// the failed start, the next release of the same program starts once with the softening up front
// and its kill watch ends when its health check passes; a changed filter line or another program
// is started strict and retried again, and nothing the workflow set rides on a softening
// (hardening-retry.test.ts: a carried step can do nothing but what the retry does).
import { join } from "node:path";
import { dockerEngine, dockerImage, requireComponents } from "@capstan/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  bundle,
  freePort,
  runDriver,
  type SystemdHost,
  startSystemdHost,
  tempDir,
  uniqueName,
} from "../../test/helpers";

const ok = requireComponents(
  "hardening softenings carried",
  dockerEngine(),
  dockerImage("capstan-systemd-host:bookworm"),
);

/** argv[1] is the page, argv[2] the port. */
const SERVER_JS =
  'require("node:http").createServer((q,s)=>s.end(process.argv[1])).listen(Number(process.argv[2]),"127.0.0.1")';
const KILLED = /^warn: systemd: .* was killed by SystemCallFilter= \(SIGSYS\)/;

interface Deployed {
  outcome: { ok: boolean; activeReleaseId?: string; message: string };
  logs: string[];
}

describe.skipIf(!ok)(
  "hardening softenings carried to the next release (real systemd host)",
  {
    timeout: 180_000,
  },
  () => {
    const work = tempDir("hardening-carry");
    const workflow = uniqueName("sdh");
    const unit = `capstan-${workflow}-api.service`;
    let host: SystemdHost;
    let port: number;

    const deploy = (
      releaseId: string,
      marker: string,
      options: { program?: string[]; filter?: string } = {},
    ) =>
      runDriver<Deployed>(host.name, {
        stateDir: "/var/lib/capstan-test",
        workflow,
        service: "api",
        op: "deploy",
        releaseId,
        spec: {
          systemd: {
            exec: [...(options.program ?? ["/usr/local/bin/node"]), "-e", SERVER_JS, marker, String(port)],
            ...(options.filter ? { hardening: { profile: "strict", SystemCallFilter: options.filter } } : {}),
          },
          healthChecks: [{ http: { url: `http://127.0.0.1:${port}/` } }],
          deadline: 60,
        },
        // A filter other than strict's is a switch below `strict`: this host's policy allows it.
        hostPolicy: { systemd: { minimumProfile: "none" } },
      });
    const installed = () => host.exec(["cat", `/etc/systemd/system/${unit}`]);
    /** systemd's own record of each SIGSYS kill of the unit's main process. */
    const sigsysKills = () =>
      host
        .exec(["journalctl", "--unit", unit, "--no-pager", "--output", "cat"])
        .split("\n")
        .filter((l) => /code=(killed|dumped), status=31\/SYS/.test(l)).length;
    const get = async () => (await fetch(`http://127.0.0.1:${port}/`)).text();

    beforeAll(async () => {
      port = await freePort();
      await bundle(join(__dirname, "../../test/fixtures/systemd-driver.ts"), join(work, "driver.cjs"));
      host = await startSystemdHost("capstan-agent-sdh", { [work]: "/capstan-test" });
    }, 120_000);

    afterAll(() => host?.remove());

    it("starts the next release of the same program once, with the softening the last one needed", async () => {
      const first = await deploy("r1-aaaa", "one");
      expect(first.outcome, first.logs.join("\n")).toMatchObject({ ok: true, activeReleaseId: "r1-aaaa" });
      expect(first.logs.some((l) => KILLED.test(l))).toBe(true);
      const killsAfterFirst = sigsysKills();
      expect(killsAfterFirst).toBeGreaterThan(0);

      const second = await deploy("r2-bbbb", "two");
      const text = second.logs.join("\n");
      expect(second.outcome, text).toMatchObject({ ok: true, activeReleaseId: "r2-bbbb" });
      expect(
        second.logs.some((l) => KILLED.test(l)),
        text,
      ).toBe(false);
      expect(second.logs, text).toContain(
        "info: systemd: SystemCallFilter=@system-service with SystemCallErrorNumber=EPERM, as release r1-aaaa of the same program needed on this host",
      );
      // The kill watch ended on the passing check, not on its 3 s clock.
      expect(second.logs, text).toContain(
        `info: systemd: ${unit} passed its health checks, not killed by its hardening`,
      );
      expect(sigsysKills()).toBe(killsAfterFirst);
      expect(installed()).toContain("SystemCallFilter=@system-service\nSystemCallErrorNumber=EPERM\n");
      expect(await get()).toBe("two");
    });

    it("checks a changed filter line again, and the workflow's own line never rides on a softening", async () => {
      const r2Unit = installed();
      // The workflow sets its own, wider filter: r2's softening was taken against strict's line,
      // so it is not applied to this one (nor needed: Node is not killed under it).
      const wider = await deploy("r3-cccc", "three", { filter: "@known" });
      expect(wider.outcome, wider.logs.join("\n")).toMatchObject({ ok: true, activeReleaseId: "r3-cccc" });
      expect(wider.logs.some((l) => l.includes("of the same program needed"))).toBe(false);
      expect(installed()).toContain("\nSystemCallFilter=@known\n");
      expect(installed()).not.toContain("SystemCallErrorNumber");

      // Back to strict: r3's wider line is the workflow's, not a softening, so it is not carried;
      // the start is strict, killed and retried, and the unit is r2's (but for its env file).
      const before = sigsysKills();
      const back = await deploy("r4-dddd", "two");
      expect(back.outcome, back.logs.join("\n")).toMatchObject({ ok: true, activeReleaseId: "r4-dddd" });
      expect(back.logs.some((l) => KILLED.test(l))).toBe(true);
      expect(back.logs.some((l) => l.includes("of the same program needed"))).toBe(false);
      expect(sigsysKills()).toBeGreaterThan(before);
      expect(installed()).not.toContain("@known");
      expect(installed()).toBe(r2Unit.replace("/env/r2-bbbb.env", "/env/r4-dddd.env"));
      expect(await get()).toBe("two");
    });

    it("starts another program strict, and a kill in its watch is still retried", async () => {
      const before = sigsysKills();
      // /usr/bin/env execs Node in the unit's main process: another program, the same kill.
      const other = await deploy("r5-eeee", "five", { program: ["/usr/bin/env", "/usr/local/bin/node"] });
      expect(other.outcome, other.logs.join("\n")).toMatchObject({ ok: true, activeReleaseId: "r5-eeee" });
      expect(other.logs.some((l) => KILLED.test(l))).toBe(true);
      expect(other.logs.some((l) => l.includes("of the same program needed"))).toBe(false);
      expect(sigsysKills()).toBeGreaterThan(before);
      expect(installed()).toContain("SystemCallFilter=@system-service\nSystemCallErrorNumber=EPERM\n");
      expect(await get()).toBe("five");
    });
  },
);
