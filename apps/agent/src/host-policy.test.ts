import { chmodSync, chownSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  DEFAULT_HOST_POLICY,
  type HostPolicy,
  hostPolicySchema,
  systemdSpecSchema,
} from "@capstan/templates";
import { afterAll, describe, expect, it } from "vitest";
import {
  describeHostPolicy,
  enforceSystemdPolicy,
  formatHostPolicy,
  readLocalPolicy,
  readServiceAccount,
  resolveHostPolicy,
} from "./host-policy";
import { createLogger } from "./log";

const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "capstan-host-policy-"));
  chmodSync(dir, 0o755);
  dirs.push(dir);
  return dir;
}
function policyFile(content: unknown, mode = 0o644): string {
  const file = join(tempDir(), "policy.json");
  writeFileSync(file, typeof content === "string" ? content : JSON.stringify(content));
  chmodSync(file, mode);
  return file;
}
function captureLog() {
  const lines: string[] = [];
  return { lines, log: createLogger("info", { write: (line: string) => lines.push(line) }) };
}

// What a compromised control plane would send: everything allowed.
const allowAll = hostPolicySchema.parse({
  allowPrivileged: true,
  allowDockerSocket: true,
  allowHostPaths: ["/"],
  allowCapabilities: true,
  systemd: {
    users: ["dynamic", "daemon", "app"],
    capabilities: ["CAP_SYS_ADMIN"],
    minimumProfile: "none",
    readWritePaths: ["/"],
    units: ["network-online.target", "postgresql.service"],
  },
});

// The unit: User=daemon, AmbientCapabilities=CAP_SYS_ADMIN, ReadWritePaths=/,
// Requires=rescue.target (as the workflow fields that render it).
const attack = systemdSpecSchema.parse({
  exec: ["/usr/bin/sleep", "infinity"],
  user: "daemon",
  requires: ["rescue.target"],
  hardening: {
    AmbientCapabilities: "CAP_SYS_ADMIN",
    CapabilityBoundingSet: "CAP_SYS_ADMIN",
    ReadWritePaths: ["/"],
  },
});

describe("readLocalPolicy", () => {
  it("trusts a root-owned 0644 file and reads it", () => {
    const local = readLocalPolicy(policyFile({ allowPrivileged: true, systemd: { users: ["app"] } }));
    expect(local.source).toBe("file");
    expect(local.policy.allowPrivileged).toBe(true);
    expect(local.policy.systemd.users).toEqual(["app"]);
  });

  it("falls back to deny-all when the file is missing, writable by others, not root's, or invalid", () => {
    expect(readLocalPolicy(join(tempDir(), "nope.json"))).toMatchObject({
      source: "missing",
      policy: DEFAULT_HOST_POLICY,
    });
    const wide = { allowPrivileged: true };
    const writable = readLocalPolicy(policyFile(wide, 0o666));
    expect(writable).toMatchObject({ source: "refused", policy: DEFAULT_HOST_POLICY });
    expect(writable.detail).toMatch(/writable by group or others \(mode 666\).*chown root:root, chmod 0644/);

    const foreign = policyFile(wide);
    chownSync(foreign, 1000, 1000);
    expect(readLocalPolicy(foreign).detail).toMatch(/owned by uid 1000/);

    // A folder someone else may write lets them swap the file, so it is not trusted either.
    const dir = tempDir();
    chownSync(dir, 1000, 1000);
    writeFileSync(join(dir, "policy.json"), JSON.stringify(wide), { mode: 0o644 });
    expect(readLocalPolicy(join(dir, "policy.json"))).toMatchObject({ source: "refused" });

    // A link in a folder someone else may write can be pointed elsewhere.
    const linkDir = tempDir();
    chownSync(linkDir, 1000, 1000);
    symlinkSync(policyFile(wide), join(linkDir, "policy.json"));
    expect(readLocalPolicy(join(linkDir, "policy.json")).detail).toMatch(/owned by uid 1000/);
    const trustedLink = join(tempDir(), "policy.json");
    symlinkSync(policyFile(wide), trustedLink);
    expect(readLocalPolicy(trustedLink)).toMatchObject({ source: "file", policy: { allowPrivileged: true } });

    expect(readLocalPolicy(policyFile("{not json"))).toMatchObject({ source: "refused" });
    const typo = readLocalPolicy(policyFile({ allowPrivilegd: true }));
    expect(typo).toMatchObject({ source: "refused", policy: DEFAULT_HOST_POLICY });
    expect(typo.detail).toMatch(/invalid/);
    const never = readLocalPolicy(policyFile({ systemd: { units: ["reboot.target"] } }));
    expect(never).toMatchObject({ source: "refused" });
  });
});

describe("resolveHostPolicy", () => {
  it("a control plane allowing everything gets only what the local policy allows", () => {
    const stateDir = tempDir();
    const { log, lines } = captureLog();
    const effective = resolveHostPolicy(
      { policyFile: policyFile(DEFAULT_HOST_POLICY), stateDir },
      allowAll,
      log,
    );
    expect(effective.allowPrivileged).toBe(false);
    expect(effective.allowHostPaths).toEqual([]);
    expect(effective.allowCapabilities).toEqual([]);
    expect(effective.systemd).toEqual({ ...DEFAULT_HOST_POLICY.systemd, units: ["network-online.target"] });
    expect(lines).toEqual([]);
    expect(() =>
      enforceSystemdPolicy({ workflow: "shop", service: "api", spec: attack, policy: effective }),
    ).toThrow(
      /systemd\.users.*systemd\.capabilities.*systemd\.readWritePaths.*rescue\.target.*never allowed/,
    );
  });

  it("a local file others could write counts as deny-all, with a log line", () => {
    const { log, lines } = captureLog();
    const effective = resolveHostPolicy(
      { policyFile: policyFile({ allowPrivileged: true }, 0o646), stateDir: tempDir() },
      allowAll,
      log,
    );
    expect(effective.allowPrivileged).toBe(false);
    expect(lines.join("")).toMatch(/not trusted.*writable by group or others.*deny-all/);
  });

  it("status shows the effective policy: local narrowed by the control plane's last one", () => {
    const stateDir = tempDir();
    const config = { policyFile: policyFile({ allowPrivileged: true, allowDevices: true }), stateDir };
    expect(describeHostPolicy(config)).toMatchObject({
      controlPlane: null,
      effective: { allowPrivileged: true },
    });
    const sent: HostPolicy = { ...DEFAULT_HOST_POLICY, allowDevices: true };
    resolveHostPolicy(config, sent, captureLog().log);
    const described = describeHostPolicy(config);
    expect(described.effective).toMatchObject({ allowPrivileged: false, allowDevices: true });
    const text = formatHostPolicy(described).join("\n");
    expect(text).toContain("allowPrivileged: false");
    expect(text).toContain("allowDevices: true");
    expect(text).toContain("systemd.users: dynamic");
    expect(text).toContain("systemd.minimumProfile: strict");
  });
});

describe("enforceSystemdPolicy on the host", () => {
  const etcDir = tempDir();
  writeFileSync(
    join(etcDir, "passwd"),
    [
      "root:x:0:0:root:/root:/bin/bash",
      "daemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin",
      "alice:x:1000:1000:Alice:/home/alice:/bin/bash",
      "app:x:998:998::/nonexistent:/usr/sbin/nologin",
      "ops:x:997:997::/nonexistent:/usr/sbin/nologin",
    ].join("\n"),
  );
  writeFileSync(
    join(etcDir, "group"),
    ["root:x:0:", "docker:x:999:ops", "app:x:998:", "ops:x:997:"].join("\n"),
  );
  const usersPolicy = hostPolicySchema.parse({
    systemd: { users: ["dynamic", "daemon", "alice", "app", "ops"] },
  });
  const as = (user: string) =>
    enforceSystemdPolicy({
      workflow: "shop",
      service: "api",
      spec: systemdSpecSchema.parse({ exec: ["/usr/bin/true"], user }),
      policy: usersPolicy,
      etcDir,
      varLib: tempDir(),
    });

  it("reads accounts from passwd and group", () => {
    expect(readServiceAccount("ops", etcDir)).toEqual({
      name: "ops",
      uid: 997,
      gid: 997,
      shell: "/usr/sbin/nologin",
      supplementaryGroups: ["docker"],
    });
    expect(readServiceAccount("nobody-here", etcDir)).toBeUndefined();
  });

  it("refuses a listed user that is a shared system account, a login account or in other groups", () => {
    expect(() => as("daemon")).toThrow(/daemon.*shared system account/);
    expect(() => as("alice")).toThrow(/login shell \/bin\/bash/);
    expect(() => as("ops")).toThrow(/groups docker/);
    expect(() => as("app")).not.toThrow();
    expect(() => as("dynamic")).not.toThrow();
  });

  it("resolves ReadWritePaths through symlinks before matching the allowed prefixes", () => {
    const root = tempDir();
    mkdirSync(join(root, "data"));
    symlinkSync("/etc", join(root, "data", "escape"));
    const policy = hostPolicySchema.parse({ systemd: { readWritePaths: [join(root, "data")] } });
    const spec = (path: string) =>
      systemdSpecSchema.parse({ exec: ["/usr/bin/true"], hardening: { ReadWritePaths: [path] } });
    const enforce = (path: string) =>
      enforceSystemdPolicy({ workflow: "shop", service: "api", spec: spec(path), policy });
    expect(() => enforce(join(root, "data", "cache"))).not.toThrow();
    expect(() => enforce(join(root, "data", "escape"))).toThrow(/`\/etc`.*systemd\.readWritePaths/);
  });

  it("refuses a StateDirectory that would hand over a folder something else owns", () => {
    const varLib = tempDir();
    mkdirSync(join(varLib, "capstan"));
    const enforce = (StateDirectory: string) =>
      enforceSystemdPolicy({
        workflow: "shop",
        service: "api",
        spec: systemdSpecSchema.parse({ exec: ["/usr/bin/true"], hardening: { StateDirectory } }),
        policy: DEFAULT_HOST_POLICY,
        varLib,
      });
    expect(() => enforce("capstan")).toThrow(/StateDirectory `capstan` would hand the existing/);
    expect(() => enforce("shop-api")).not.toThrow();
    // A redeploy finds the layout systemd made for DynamicUser= the first time.
    mkdirSync(join(varLib, "private", "shop-api"), { recursive: true });
    symlinkSync("private/shop-api", join(varLib, "shop-api"));
    expect(() => enforce("shop-api")).not.toThrow();
  });
});
