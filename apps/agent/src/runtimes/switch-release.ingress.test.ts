// Zero-downtime switches on real parts: a Compose service (busybox httpd, no published port)
// routed by the real ingress (Debian's Caddy, `tls internal`) is redeployed while a bounded client
// loop of fresh HTTPS connections runs against its domain. Not one request may fail: the new
// release starts beside the old one, the route switches once it is healthy, the old one stops.
// A release failing its health check never gets the route; a rollback is the same switch;
// removing the service leaves no container of either slot.
import { existsSync, readFileSync } from "node:fs";
import { DEFAULT_HOST_POLICY } from "@capstan/templates";
import { freePort, requireComponents, waitFor } from "@capstan/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { removeComposeProject, tempDir, uniqueName } from "../../test/helpers";
import { ingressGet, loopDuring as loopUnder } from "../../test/ingress-get";
import { RoutedComposeRig, routedComposeComponents, routedHttpdSpec } from "../../test/routed-compose";
import type { Ingress } from "../ingress/ingress";
import { composeBesideBlocker } from "./compose-beside";
import { deployRelease } from "./deploy-release";

const ok = requireComponents("zero-downtime switch (Compose + Caddy)", ...routedComposeComponents());

const NAME = "zd.capstan.test";
/** The client loop stops here even if the deploy never ends: it is bounded. */
const MAX_REQUESTS = 20_000;
/** Requests made after the deploy returned, so the loop ends on what serves then. */
const AFTER = 100;

describe("composeBesideBlocker", () => {
  it("allows what two copies can share and names what they cannot", () => {
    const svc = (extra: object) => ({ services: { web: { image: "x", ...extra } } });
    expect(composeBesideBlocker(svc({ volumes: ["/srv/static:/www:ro", "/cache"] }))).toBeNull();
    expect(composeBesideBlocker(svc({ ports: ["8080:8080"] }))).toMatch(/web publishes host ports/);
    expect(composeBesideBlocker(svc({ container_name: "web" }))).toMatch(/container_name/);
    expect(composeBesideBlocker(svc({ network_mode: "host" }))).toMatch(/host network/);
    expect(composeBesideBlocker(svc({ volumes: ["/srv/db:/var/lib/db"] }))).toMatch(
      /writes to the host folder/,
    );
    expect(
      composeBesideBlocker(svc({ volumes: [{ type: "bind", source: "/srv/db", target: "/db" }] })),
    ).toMatch(/writes to the host folder \/srv\/db:\/db/);
    expect(composeBesideBlocker({ ...svc({}), volumes: { data: {} } })).toMatch(/named volumes/);
  });
});

describe.skipIf(!ok)("zero-downtime switch of a routed Compose service", () => {
  const rig = new RoutedComposeRig("zd");
  const { workflow, runtime, base, caddy } = rig;
  const ref = { workflow, service: "web" };
  const signal = new AbortController().signal;
  const tls = { issuer: "internal" as const };
  let ingress: Ingress;
  let httpsPort: number;
  let root: string;

  beforeAll(async () => {
    ingress = await rig.ingress();
    httpsPort = rig.httpsPort;
  }, 120_000);

  afterAll(() => rig.cleanup());

  const spec = (marker: string, healthy = true) =>
    routedHttpdSpec(
      NAME,
      marker,
      healthy
        ? ["CMD", "wget", "-q", "-O", "/dev/null", "http://127.0.0.1:8080/"]
        : ["CMD", "sh", "-c", "exit 1"],
      healthy ? 90 : 15,
    );

  let previous: string | undefined;
  const deploy = async (releaseId: string, marker: string, healthy = true) => {
    const s = spec(marker, healthy);
    const lines: string[] = [];
    const outcome = await deployRelease(
      runtime,
      {
        request: {
          ref,
          releaseId,
          revision: { number: 1, hash: "c".repeat(64) },
          spec: s,
          secrets: {},
          hostPolicy: DEFAULT_HOST_POLICY,
        },
        previousReleaseId: previous,
        autoRollback: true,
        keepReleases: 5,
        stateDir: tempDir("zd-state"),
        switchRoute: async (sig) => {
          await ingress.routeService(ref, "compose", s, tls, sig);
        },
      },
      { log: (_l, m) => lines.push(m), signal, deadline: Date.now() + s.deadline * 1000 },
    );
    if (outcome.ok) previous = releaseId;
    return { outcome, lines, spec: s };
  };

  const get = () => ingressGet({ scheme: "https", name: NAME, port: httpsPort, path: "/" }, root);

  /** Fresh HTTPS connections while `work` runs and AFTER more (test/ingress-get.ts). */
  const loopDuring = <T>(work: () => Promise<T>) =>
    loopUnder(get, work, { after: AFTER, maxRequests: MAX_REQUESTS });

  const containers = (project: string) => rig.containers(project);

  it("switches with no failed request, keeps the old release on a failed health check, rolls back the same way", async () => {
    const first = await deploy("r1-zd", "v1");
    expect(first.outcome).toMatchObject({ ok: true });
    // The job runner routes a first release after it deploys (nothing served before it).
    await ingress.routeService(ref, "compose", first.spec, tls, signal);
    const { rootFile } = rig;
    await waitFor("Caddy's internal root", async () => existsSync(rootFile), { timeoutMs: 60_000 });
    root = readFileSync(rootFile, "utf8");
    await waitFor(
      "release 1 over HTTPS",
      async () => {
        const res = await get().catch(() => null);
        return res?.status === 200 && res.body.trim() === "v1";
      },
      { timeoutMs: 90_000, intervalMs: 500, context: () => caddy.output().slice(-3000) },
    );
    // Caddy's new listener at each reload must inherit the old one's queued connections, or a
    // switch under load resets a few (ingress/tcp-migrate.ts). Root sets it; CI runs as root.
    if (process.getuid?.() === 0)
      expect(readFileSync("/proc/sys/net/ipv4/tcp_migrate_req", "utf8").trim()).toBe("1");

    // A new revision while the loop runs.
    const second = await loopDuring(() => deploy("r2-zd", "v2"));
    expect(second.result.outcome, second.result.lines.join("\n")).toMatchObject({ ok: true, routed: true });
    expect(second.failures).toEqual([]);
    expect(second.bodies.length).toBeGreaterThan(AFTER);
    expect(new Set(second.bodies)).toEqual(new Set(["v1", "v2"]));
    expect(second.bodies.slice(-AFTER).every((b) => b === "v2")).toBe(true);
    expect(runtime.label(ref)).toBe(`${base}_b`);
    expect(containers(base)).toBe("");
    expect(await runtime.currentRelease(ref)).toBe("r2-zd");

    // A revision whose health check fails: the route and the release stay, the deploy fails.
    const bad = await loopDuring(() => deploy("r3-zd", "v3", false));
    expect(bad.result.outcome.ok).toBe(false);
    expect(bad.result.outcome.activeReleaseId).toBe("r2-zd");
    expect(bad.result.outcome.message).toMatch(/the route stays on release r2-zd/);
    expect(bad.failures).toEqual([]);
    expect(new Set(bad.bodies)).toEqual(new Set(["v2"]));
    expect(containers(base)).toBe("");
    expect(runtime.label(ref)).toBe(`${base}_b`);

    // A rollback to release 1 is the same switch.
    const back = await loopDuring(() => deploy("r1-zd", "v1"));
    expect(back.result.outcome, back.result.lines.join("\n")).toMatchObject({ ok: true, routed: true });
    expect(back.failures).toEqual([]);
    expect(back.bodies.slice(-AFTER).every((b) => b === "v1")).toBe(true);
    expect(runtime.label(ref)).toBe(base);
    expect(containers(`${base}_b`)).toBe("");

    // Removing the service leaves no container of either slot.
    await runtime.remove(ref, signal, { data: "keep" });
    expect([containers(base), containers(`${base}_b`)]).toEqual(["", ""]);
  }, 600_000);

  it("restarts in place, saying so, when the service publishes a host port", async () => {
    const port = await freePort();
    const published = { ...spec("p1") };
    const doc = published.compose.inline as { services: { httpd: Record<string, unknown> } };
    doc.services.httpd.ports = [`127.0.0.1:${port}:8080`];
    const other = { workflow: uniqueName("zdp"), service: "web" };
    const request = (releaseId: string) => ({
      ref: other,
      releaseId,
      revision: { number: 1, hash: "d".repeat(64) },
      spec: published,
      secrets: {},
      hostPolicy: DEFAULT_HOST_POLICY,
    });
    const lines: string[] = [];
    const plan = (releaseId: string, prev?: string) => ({
      request: request(releaseId),
      previousReleaseId: prev,
      autoRollback: true,
      keepReleases: 3,
      stateDir: tempDir("zdp-state"),
      switchRoute: async () => {
        throw new Error("an in-place restart never switches the route itself");
      },
    });
    const ctx = { log: (_l: string, m: string) => lines.push(m), signal, deadline: Date.now() + 90_000 };
    try {
      expect((await deployRelease(runtime, plan("p1-zd"), ctx)).ok).toBe(true);
      const again = await deployRelease(runtime, plan("p2-zd", "p1-zd"), {
        ...ctx,
        deadline: Date.now() + 90_000,
      });
      expect(again, lines.join("\n")).toMatchObject({ ok: true, activeReleaseId: "p2-zd" });
      expect(again.routed).toBeUndefined();
      expect(lines.join("\n")).toMatch(
        /restarts in place, without a zero-downtime switch: .*publishes host ports/,
      );
      expect(runtime.label(other)).toBe(runtime.project(other.workflow, "web"));
    } finally {
      await runtime.remove(other, signal).catch(() => undefined);
      removeComposeProject(runtime.project(other.workflow, "web"));
    }
  }, 300_000);
});
