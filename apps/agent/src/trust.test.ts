// The agent's trust rules at unit level: which URLs and pins the config accepts, where the
// control plane's key comes from (enrollment; first heartbeat only for hosts enrolled before),
// and an unsigned upgrade order downloading nothing from a real HTTP server.
import { randomUUID } from "node:crypto";
import { existsSync, mkdirSync, statSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import {
  type AgentUpgradeOrder,
  agentUpgradeOrderSchema,
  generateAgentKeyPair,
  importAgentPrivateKey,
  signForHost,
} from "@capstan/protocol";
import { afterAll, describe, expect, it } from "vitest";
import { silentLog, tempDir } from "../test/helpers";
import { ConfigError, loadConfig } from "./config";
import { ControlPlaneTrust, controlPlaneUrlProblem, normalizePin, rememberEnrollmentKey } from "./trust";
import { agentFiles, Upgrader } from "./upgrade";

const pin = `sha256:${"ab".repeat(32)}`;

describe("control-plane URL and pin", () => {
  it("allows http:// only to loopback, and a pin only with https://", () => {
    for (const url of [
      "http://127.0.0.1:3000",
      "http://127.8.9.10",
      "http://localhost:3000",
      "http://[::1]:3000",
    ])
      expect(controlPlaneUrlProblem(url, undefined), url).toBeNull();
    expect(controlPlaneUrlProblem("https://cp.example.com", pin)).toBeNull();
    expect(controlPlaneUrlProblem("http://cp.example.com:8080/x", undefined)).toMatch(
      /CAPSTAN_URL http:\/\/cp\.example\.com:8080\/x uses http:\/\/ .*Use https:\/\/cp\.example\.com:8080\/x/,
    );
    expect(controlPlaneUrlProblem("http://10.0.0.5", undefined)).toMatch(/not loopback/);
    expect(controlPlaneUrlProblem("http://127.0.0.1.evil.test", undefined)).toMatch(/not loopback/);
    expect(controlPlaneUrlProblem("http://127.0.0.1:3000", pin)).toMatch(/a pin needs TLS/);
  });

  it("the config refuses a plain-http remote control plane and a malformed pin, and normalises openssl's form", () => {
    const dir = tempDir("trust-config");
    const file = join(dir, "agent.env");
    writeFileSync(file, "CAPSTAN_URL=http://cp.example.com\n", { mode: 0o600 });
    expect(() => loadConfig({ CAPSTAN_CONFIG_FILE: file })).toThrow(ConfigError);
    expect(() => loadConfig({ CAPSTAN_CONFIG_FILE: file })).toThrow(
      /http:\/\/cp\.example\.com uses http:\/\//,
    );
    const pinned = (value: string) =>
      loadConfig({ CAPSTAN_CONFIG_FILE: file, CAPSTAN_URL: "https://cp.example.com", CAPSTAN_PIN: value });
    expect(() => pinned("sha256:1234")).toThrow(/CAPSTAN_PIN must be sha256:<64 hex digits>/);
    expect(() => pinned(`md5:${"ab".repeat(32)}`)).toThrow(/CAPSTAN_PIN/);
    expect(pinned(`sha256:${"AB:".repeat(31)}AB`).pin).toBe(pin);
    expect(normalizePin(` ${pin} `)).toBe(pin);
  });
});

describe("where the control plane's key comes from", () => {
  const key = generateAgentKeyPair();
  const hostId = randomUUID();
  const order = (): AgentUpgradeOrder =>
    agentUpgradeOrderSchema.parse({
      id: randomUUID(),
      version: "9.9.9",
      executableSha256: "a".repeat(64),
      deadlineSeconds: 60,
    });
  const signed = (o: AgentUpgradeOrder, pem = key.privateKeyPem) =>
    signForHost(o, { purpose: "agent-upgrade", hostId, privateKey: importAgentPrivateKey(pem) });

  it("a freshly enrolled host keeps the key (0600) and never trusts one from a heartbeat", () => {
    const dir = tempDir("trust-enrolled");
    rememberEnrollmentKey(dir, key.publicKey, silentLog);
    expect(statSync(join(dir, "control-plane.json")).mode & 0o777).toBe(0o600);
    const trust = new ControlPlaneTrust({ stateDir: dir, hostId, log: silentLog });
    const attacker = generateAgentKeyPair();
    trust.learnFromHeartbeat(attacker.publicKey);
    expect(trust.accept("agent-upgrade", signed(order(), attacker.privateKeyPem))).toBe(false);
    expect(trust.accept("agent-upgrade", order())).toBe(false);
    expect(trust.accept("agent-upgrade", signed(order()))).toBe(true);
  });

  it("enrolled without a key from the control plane: everything is refused, and a heartbeat cannot supply one", () => {
    const dir = tempDir("trust-nokey");
    rememberEnrollmentKey(dir, undefined, silentLog);
    const trust = new ControlPlaneTrust({ stateDir: dir, hostId, log: silentLog });
    trust.learnFromHeartbeat(key.publicKey);
    expect(trust.accept("agent-upgrade", signed(order()))).toBe(false);
  });

  it("a host enrolled before signatures trusts the first heartbeat's key, then only that key", () => {
    const dir = tempDir("trust-legacy");
    const trust = new ControlPlaneTrust({ stateDir: dir, hostId, log: silentLog });
    expect(trust.accept("agent-upgrade", signed(order()))).toBe(false);
    trust.learnFromHeartbeat(key.publicKey);
    const attacker = generateAgentKeyPair();
    trust.learnFromHeartbeat(attacker.publicKey);
    expect(trust.accept("agent-upgrade", signed(order()))).toBe(true);
    expect(trust.accept("agent-upgrade", signed(order(), attacker.privateKeyPem))).toBe(false);
    // After a restart too.
    const again = new ControlPlaneTrust({ stateDir: dir, hostId, log: silentLog });
    expect(again.accept("agent-upgrade", signed(order()))).toBe(true);
  });
});

describe("an upgrade order without the control plane's signature", () => {
  const requests: string[] = [];
  const server = createServer((req, res) => {
    requests.push(req.url ?? "");
    res.writeHead(200, { "x-capstan-sha256": "a".repeat(64) }).end("#!/bin/sh\necho 9.9.9\n");
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it("downloads nothing; the same order signed downloads", async () => {
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const dir = tempDir("trust-upgrade");
    const key = generateAgentKeyPair();
    const hostId = randomUUID();
    rememberEnrollmentKey(dir, key.publicKey, silentLog);
    const trust = new ControlPlaneTrust({ stateDir: dir, hostId, log: silentLog });
    const files = agentFiles(dir, "executable");
    mkdirSync(files.bin, { recursive: true });
    writeFileSync(files.current, "#!/bin/sh\necho old\n", { mode: 0o755 });
    const upgrader = new Upgrader({
      stateDir: dir,
      url,
      arch: "x64",
      running: { format: "executable", path: files.current, node: process.execPath },
      unit: "capstan-agent.service",
      log: silentLog,
      verify: (o) => trust.accept("agent-upgrade", o),
    });
    const order = agentUpgradeOrderSchema.parse({
      id: randomUUID(),
      version: "9.9.9",
      executableSha256: "a".repeat(64),
      deadlineSeconds: 60,
    });
    const other = generateAgentKeyPair();
    upgrader.accept(order);
    upgrader.accept(
      signForHost(order, {
        purpose: "agent-upgrade",
        hostId,
        privateKey: importAgentPrivateKey(other.privateKeyPem),
      }),
    );
    // An accepted order writes its record before its first await; a refused one writes nothing.
    expect(existsSync(files.record)).toBe(false);
    expect(requests).toEqual([]);

    upgrader.accept(
      signForHost(order, {
        purpose: "agent-upgrade",
        hostId,
        privateKey: importAgentPrivateKey(key.privateKeyPem),
      }),
    );
    const end = Date.now() + 30_000;
    while (requests.length === 0 && Date.now() < end) await new Promise((r) => setTimeout(r, 50));
    expect(requests).toHaveLength(1);
    expect(requests[0]).toMatch(/^\/api\/agent\/v1\/agent-binary\?arch=x64/);
  });
});
