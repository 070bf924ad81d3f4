// Zero-downtime switches of a routed systemd service on real parts: the agent's systemd runtime
// inside a systemd host container (systemd as PID 1, host network) deploys a unit that reads its
// port from `portEnv`, routed by capstan-ingress.service (Debian's Caddy, `tls internal`). It is
// redeployed while a bounded client loop of fresh HTTPS connections runs against its domain: not
// one request may fail. A release failing its health check never gets the route; a rollback is
// the same switch; without portEnv the unit restarts in place and the log says why.
import { createHash } from "node:crypto";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { join } from "node:path";
import { dockerEngine, dockerImage, executable, requireComponents, waitFor } from "@capstan/testkit";
import * as tar from "tar";
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
import { ingressGet, loopDuring as loopUnder } from "../../test/ingress-get";

const ok = requireComponents(
  "zero-downtime switch (systemd + Caddy)",
  dockerEngine(),
  dockerImage("capstan-systemd-host:bookworm"),
  executable("/usr/bin/caddy"),
);

const NAME = "unit-zd.capstan.test";
/** The client loop stops here even if the deploy never ends: it is bounded. */
const MAX_REQUESTS = 20_000;
/** Requests made after the deploy returned, so the loop ends on what serves then. */
const AFTER = 50;

// Answers with its release's marker; /health fails when the release says so.
const SERVER_JS = `require("node:http").createServer((req, res) => {
  if (req.url === "/health" && process.env.FAIL) { res.statusCode = 500; return res.end("failing"); }
  res.end(process.env.MARKER);
}).listen(Number(process.env.PORT), "127.0.0.1");
`;

interface Outcome {
  ok: boolean;
  message: string;
  activeReleaseId?: string;
  routed?: boolean;
}

describe.skipIf(!ok)("zero-downtime switch of a routed systemd service", { timeout: 600_000 }, () => {
  const work = tempDir("unit-zd");
  const workflow = uniqueName("uzd");
  const service = "web";
  const base = `capstan-${workflow}-${service}.service`;
  const stateDir = "/var/lib/capstan-test";
  let host: SystemdHost;
  let artifactServer: Server;
  let artifact: { url: string; sha256: string; format: string };
  let port: number;
  let ingress: { httpPort: number; httpsPort: number };
  let root: string;
  let previous: string | undefined;

  beforeAll(async () => {
    mkdirSync(join(work, "app"));
    writeFileSync(join(work, "app", "server.js"), SERVER_JS);
    await tar.c({ gzip: true, file: join(work, "app.tar.gz"), cwd: join(work, "app") }, ["server.js"]);
    const bytes = readFileSync(join(work, "app.tar.gz"));
    artifactServer = createServer((_req, res) => res.end(bytes));
    await new Promise<void>((r) => artifactServer.listen(0, "127.0.0.1", r));
    const address = artifactServer.address();
    artifact = {
      url: `http://127.0.0.1:${typeof address === "object" && address ? address.port : 0}/app.tar.gz`,
      sha256: createHash("sha256").update(bytes).digest("hex"),
      format: "tar.gz",
    };
    port = await freePort();
    ingress = { httpPort: await freePort(), httpsPort: await freePort() };
    await bundle(join(__dirname, "../../test/fixtures/systemd-driver.ts"), join(work, "driver.cjs"));
    host = await startSystemdHost("capstan-agent-uzd", { [work]: "/capstan-test" }, undefined, [
      "-v",
      "/usr/bin/caddy:/usr/bin/caddy:ro",
    ]);
  }, 180_000);

  afterAll(() => {
    host?.remove();
    artifactServer?.close();
  });

  const spec = (marker: string, options: { healthy?: boolean; portEnv?: boolean } = {}) => {
    const { healthy = true, portEnv = true } = options;
    return {
      systemd: {
        exec: ["/usr/local/bin/node", "server.js"],
        artifact,
        ...(portEnv ? { portEnv: "PORT" } : {}),
      },
      env: { MARKER: marker, ...(healthy ? {} : { FAIL: "1" }), ...(portEnv ? {} : { PORT: String(port) }) },
      healthChecks: [{ http: { url: `http://127.0.0.1:${port}/health` } }],
      domains: [{ host: NAME, port }],
      deadline: healthy ? 60 : 15,
    };
  };

  const deploy = async (releaseId: string, s: ReturnType<typeof spec>) => {
    const answer = await runDriver<{ outcome: Outcome; logs: string[]; error?: string }>(host.name, {
      op: "deploy",
      stateDir,
      workflow,
      service,
      releaseId,
      previousReleaseId: previous,
      spec: s,
      ingress,
      deadlineSeconds: s.deadline,
    });
    expect(answer.error, answer.logs.join("\n")).toBeUndefined();
    if (answer.outcome.ok) previous = releaseId;
    return answer;
  };
  const activeUnit = async () =>
    (await runDriver<{ unit: string }>(host.name, { op: "current", stateDir, workflow, service })).unit;
  const unitFile = (unit: string) => host.tryExec(["test", "-e", `/etc/systemd/system/${unit}`]).code === 0;

  const get = () => ingressGet({ scheme: "https", name: NAME, port: ingress.httpsPort, path: "/" }, root);

  /** Fresh HTTPS connections while `work` runs and AFTER more (test/ingress-get.ts). */
  const loopDuring = <T>(work: () => Promise<T>) =>
    loopUnder(get, work, { after: AFTER, maxRequests: MAX_REQUESTS });

  it("switches with no failed request, keeps the old release on a failed health check, rolls back the same way", async () => {
    const first = await deploy("r1-uzd", spec("v1"));
    expect(first.outcome, first.logs.join("\n")).toMatchObject({ ok: true, activeReleaseId: "r1-uzd" });
    expect(await activeUnit()).toBe(base);
    const rootFile = `${stateDir}/ingress/data/pki/authorities/local/root.crt`;
    root = await waitFor(
      "Caddy's internal root",
      async () => {
        const r = host.tryExec(["cat", rootFile]);
        return r.code === 0 && r.stdout.includes("BEGIN CERTIFICATE") ? r.stdout : null;
      },
      { timeoutMs: 60_000 },
    );
    await waitFor(
      "release 1 over HTTPS",
      async () => {
        const res = await get().catch(() => null);
        return res?.status === 200 && res.body.trim() === "v1";
      },
      { timeoutMs: 60_000 },
    );

    // The new release starts in slot b on a port of its own; the route moves once it is healthy.
    const second = await loopDuring(() => deploy("r2-uzd", spec("v2")));
    const log2 = second.result.logs.join("\n");
    expect(second.result.outcome, log2).toMatchObject({ ok: true, routed: true, activeReleaseId: "r2-uzd" });
    expect(log2).toContain("starting release r2-uzd beside release r1-uzd");
    expect(second.failures).toEqual([]);
    expect(second.bodies.length).toBeGreaterThan(AFTER);
    expect(new Set(second.bodies)).toEqual(new Set(["v1", "v2"]));
    expect(second.bodies.slice(-AFTER).every((b) => b === "v2")).toBe(true);
    expect(await activeUnit()).toBe(base.replace(/\.service$/, "_b.service"));
    expect(unitFile(base)).toBe(false);

    // A release whose health check fails: the route and the running release stay, the deploy fails.
    const bad = await loopDuring(() => deploy("r3-uzd", spec("v3", { healthy: false })));
    expect(bad.result.outcome.ok, bad.result.logs.join("\n")).toBe(false);
    expect(bad.result.outcome.activeReleaseId).toBe("r2-uzd");
    expect(bad.result.outcome.message).toMatch(/the route stays on release r2-uzd/);
    expect(bad.failures).toEqual([]);
    expect(new Set(bad.bodies)).toEqual(new Set(["v2"]));
    expect(await activeUnit()).toBe(base.replace(/\.service$/, "_b.service"));
    expect(unitFile(base)).toBe(false);

    // A rollback to release 1 is the same switch, back to slot a on the domain's port.
    const back = await loopDuring(() => deploy("r1-uzd", spec("v1")));
    expect(back.result.outcome, back.result.logs.join("\n")).toMatchObject({ ok: true, routed: true });
    expect(back.failures).toEqual([]);
    expect(back.bodies.slice(-AFTER).every((b) => b === "v1")).toBe(true);
    expect(await activeUnit()).toBe(base);
    expect(unitFile(base.replace(/\.service$/, "_b.service"))).toBe(false);
    expect(host.tryExec(["curl", "-fsS", `http://127.0.0.1:${port}/`]).stdout).toBe("v1");

    // Without portEnv there is no second port: the unit restarts in place, and the log says why.
    const inPlace = await deploy("r4-uzd", spec("v4", { portEnv: false }));
    expect(inPlace.outcome, inPlace.logs.join("\n")).toMatchObject({ ok: true, activeReleaseId: "r4-uzd" });
    expect(inPlace.logs.join("\n")).toContain(
      "restarts in place, without a zero-downtime switch: it sets no systemd.portEnv",
    );
    await waitFor("release 4 over HTTPS", async () => (await get().catch(() => null))?.body.trim() === "v4", {
      timeoutMs: 60_000,
    });

    // Removal takes both slots.
    await runDriver(host.name, { op: "remove", stateDir, workflow, service, ingress });
    expect(unitFile(base)).toBe(false);
    expect(unitFile(base.replace(/\.service$/, "_b.service"))).toBe(false);
  });
});
