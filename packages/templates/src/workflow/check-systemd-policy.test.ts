import { describe, expect, it } from "vitest";
import { checkServiceAccount, checkSystemdPolicy, checkWorkflowSystemdPolicy } from "./check-systemd-policy";
import { DEFAULT_HOST_POLICY, hostPolicySchema } from "./host-policy";
import { type SystemdServiceSpec, systemdSpecSchema, type WorkflowSpec } from "./spec";
import { systemdPolicySchema } from "./systemd-policy";
import { validateWorkflow } from "./validate-workflow";

// The issue's payload: a unit with User=daemon, AmbientCapabilities=CAP_SYS_ADMIN,
// ReadWritePaths=/ and Requires=rescue.target, written as the workflow fields that produce it.
const attack = `name: shop
targets: { hosts: [web-1] }
services:
  api:
    systemd:
      exec: ["/usr/bin/sleep", "infinity"]
      user: daemon
      requires: [rescue.target]
      hardening:
        AmbientCapabilities: CAP_SYS_ADMIN
        CapabilityBoundingSet: CAP_SYS_ADMIN
        ReadWritePaths: [/]
`;

function parse(source: string): WorkflowSpec {
  const result = validateWorkflow(source);
  if (!result.ok) throw new Error(JSON.stringify(result.issues));
  return result.spec;
}

const systemd = (input: Record<string, unknown>) =>
  systemdSpecSchema.parse({ exec: ["/usr/bin/sleep", "infinity"], ...input });
const check = (spec: SystemdServiceSpec["systemd"], policy: Record<string, unknown> = {}) =>
  checkSystemdPolicy({ workflow: "shop", service: "api", spec, policy: systemdPolicySchema.parse(policy) });

describe("checkWorkflowSystemdPolicy", () => {
  it("refuses the issue's unit under the default policy, naming each policy key", () => {
    const spec = parse(attack);
    const issues = checkWorkflowSystemdPolicy(spec, DEFAULT_HOST_POLICY);
    const byPath = Object.fromEntries(issues.map((i) => [i.path.join("."), i.message]));
    expect(Object.keys(byPath).sort()).toEqual([
      "services.api.systemd.hardening.AmbientCapabilities",
      "services.api.systemd.hardening.CapabilityBoundingSet",
      "services.api.systemd.hardening.ReadWritePaths.0",
      "services.api.systemd.requires.0",
      "services.api.systemd.user",
    ]);
    expect(byPath["services.api.systemd.user"]).toMatch(/service `api`: user `daemon`.*systemd\.users/);
    expect(byPath["services.api.systemd.hardening.AmbientCapabilities"]).toMatch(
      /CAP_SYS_ADMIN.*systemd\.capabilities.*add CAP_SYS_ADMIN to systemd\.capabilities/,
    );
    expect(byPath["services.api.systemd.hardening.ReadWritePaths.0"]).toMatch(
      /`\/`.*systemd\.readWritePaths/,
    );
    expect(byPath["services.api.systemd.requires.0"]).toMatch(/rescue\.target.*never allowed/);
  });

  it("still refuses rescue.target when a policy (bypassing the schema) lists it and allows the rest", () => {
    const spec = parse(attack);
    const wide = hostPolicySchema.parse({
      systemd: { users: ["dynamic", "daemon"], capabilities: ["CAP_SYS_ADMIN"], readWritePaths: ["/"] },
    });
    wide.systemd.units.push("rescue.target");
    const issues = checkWorkflowSystemdPolicy(spec, wide);
    expect(issues.map((i) => i.path.join("."))).toEqual(["services.api.systemd.requires.0"]);
  });

  it("accepts a default service under the default policy and ignores Compose services", () => {
    const spec = parse(`name: shop
targets: { hosts: [web-1] }
services:
  web:
    compose: { inline: { services: { web: { image: nginx } } } }
  api:
    dependsOn: [web]
    systemd:
      exec: ["/usr/bin/sleep", "infinity"]
      after: [network-online.target, capstan-shop-worker.service]
      hardening: { StateDirectory: shop-api, ReadWritePaths: [/var/lib/shop-api/cache] }
  worker:
    systemd: { exec: ["/usr/bin/sleep", "infinity"] }
`);
    expect(checkWorkflowSystemdPolicy(spec, DEFAULT_HOST_POLICY)).toEqual([]);
  });
});

describe("checkSystemdPolicy, one allowance at a time", () => {
  it("a named user only when systemd.users lists it; dynamic only while listed", () => {
    expect(check(systemd({ user: "app" })).map((i) => i.policyKey)).toEqual(["systemd.users"]);
    expect(check(systemd({ user: "app" }), { users: ["dynamic", "app"] })).toEqual([]);
    expect(check(systemd({}), { users: ["app"] })[0]?.message).toMatch(/add `dynamic` to systemd\.users/);
  });

  it("capabilities only when systemd.capabilities lists them; inverted lists never", () => {
    const caps = systemd({
      hardening: {
        AmbientCapabilities: "CAP_NET_BIND_SERVICE",
        CapabilityBoundingSet: "CAP_NET_BIND_SERVICE",
      },
    });
    expect(check(caps).map((i) => i.path.at(-1))).toEqual(["AmbientCapabilities", "CapabilityBoundingSet"]);
    expect(check(caps, { capabilities: ["NET_BIND_SERVICE"] })).toEqual([]);
    const inverted = systemd({ hardening: { CapabilityBoundingSet: "~CAP_SYS_ADMIN" } });
    expect(check(inverted, { capabilities: ["CAP_SYS_ADMIN"] })[0]?.message).toMatch(
      /every capability except/,
    );
  });

  it("ReadWritePaths only under the StateDirectory or a systemd.readWritePaths prefix", () => {
    const rw = systemd({ hardening: { ReadWritePaths: ["/srv/data/x", "/srv/database"] } });
    expect(check(rw).map((i) => i.path)).toEqual([
      ["systemd", "hardening", "ReadWritePaths", 0],
      ["systemd", "hardening", "ReadWritePaths", 1],
    ]);
    // A prefix matches whole path segments: /srv/data does not cover /srv/database.
    expect(check(rw, { readWritePaths: ["/srv/data"] }).map((i) => i.path.at(-1))).toEqual([1]);
    expect(check(rw, { readWritePaths: ["/srv"] })).toEqual([]);
    const sneaky = systemd({ hardening: { StateDirectory: "app", ReadWritePaths: ["/var/lib/app-other"] } });
    expect(check(sneaky).map((i) => i.policyKey)).toEqual(["systemd.readWritePaths"]);
  });

  it("units only from systemd.units (or the workflow's own), and never the dangerous ones", () => {
    const deps = systemd({ requires: ["postgresql.service"], wants: ["redis.service"] });
    expect(check(deps).map((i) => i.path.join("."))).toEqual(["systemd.requires.0", "systemd.wants.0"]);
    expect(check(deps, { units: ["postgresql.service", "redis.service"] })).toEqual([]);
    // The workflow's own units: exactly its services when known, else its capstan-<workflow>- prefix.
    const own = systemd({ after: ["capstan-shop-worker.service"] });
    expect(check(own)).toEqual([]);
    const siblings = (names: string[]) =>
      checkSystemdPolicy({
        workflow: "shop",
        service: "api",
        spec: own,
        policy: systemdPolicySchema.parse({}),
        siblings: names,
      });
    expect(siblings(["api", "worker"])).toEqual([]);
    expect(siblings(["api"]).map((i) => i.policyKey)).toEqual(["systemd.units"]);
    expect(check(systemd({ after: ["capstan-agent.service"] })).map((i) => i.policyKey)).toEqual([
      "systemd.units",
    ]);
    for (const unit of ["reboot.target", "poweroff.target", "emergency.target", "debug-shell.service"]) {
      expect(check(systemd({ after: [unit] }))[0]?.message).toMatch(/never allowed/);
      expect(systemdPolicySchema.safeParse({ units: [unit] }).success).toBe(false);
    }
  });

  it("a profile below systemd.minimumProfile, and switches that weaken it, until the minimum is lowered", () => {
    const baseline = systemd({ hardening: { profile: "baseline" } });
    expect(check(baseline).map((i) => i.path.join("."))).toEqual(["systemd.hardening.profile"]);
    expect(check(baseline, { minimumProfile: "baseline" })).toEqual([]);

    const weakened = systemd({
      hardening: {
        NoNewPrivileges: false,
        ProtectSystem: "full",
        ProtectHome: "read-only",
        RestrictAddressFamilies: "AF_INET AF_NETLINK",
        UMask: "0022",
        CapabilityBoundingSet: false,
      },
    });
    const found = check(weakened).map((i) => i.path.at(-1));
    expect(found.sort()).toEqual(
      [
        "CapabilityBoundingSet",
        "NoNewPrivileges",
        "ProtectHome",
        "ProtectSystem",
        "RestrictAddressFamilies",
        "UMask",
      ].sort(),
    );
    expect(check(weakened)[0]?.message).toMatch(/systemd\.minimumProfile.*lower systemd\.minimumProfile/);
    // Under a baseline minimum only its own directives count: NoNewPrivileges=false still does not pass.
    expect(check(weakened, { minimumProfile: "baseline" }).map((i) => i.path.at(-1))).toEqual([
      "NoNewPrivileges",
    ]);
    expect(check(weakened, { minimumProfile: "none" })).toEqual([]);
    // Strengthening is always fine.
    const stronger = systemd({
      hardening: { ProtectProc: "noaccess", UMask: "0077", DevicePolicy: "strict" },
    });
    expect(check(stronger)).toEqual([]);
  });
});

describe("checkServiceAccount", () => {
  const account = { name: "app", uid: 998, gid: 998, shell: "/usr/sbin/nologin", supplementaryGroups: [] };
  it("accepts a dedicated system user", () => {
    expect(checkServiceAccount("app", account)).toBeUndefined();
  });
  it("refuses root, shared system accounts, login accounts, extra groups and missing users", () => {
    expect(checkServiceAccount("app", undefined)).toMatch(/does not exist.*useradd --system/);
    expect(checkServiceAccount("toor", { ...account, uid: 0 })).toMatch(/root/);
    expect(checkServiceAccount("app", { ...account, gid: 0 })).toMatch(/root/);
    expect(checkServiceAccount("daemon", { ...account, uid: 1, gid: 1 })).toMatch(/shared system account/);
    expect(checkServiceAccount("alice", { ...account, uid: 1000, shell: "/bin/bash" })).toMatch(
      /login shell \/bin\/bash/,
    );
    expect(checkServiceAccount("app", { ...account, supplementaryGroups: ["docker"] })).toMatch(/docker/);
  });
});
