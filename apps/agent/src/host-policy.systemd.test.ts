// The host-local policy and the systemd checks on a real systemd host: its own accounts, the
// layout systemd makes for DynamicUser= state, and a policy.json only root may write. Also the
// host facts there: systemd is PID 1.
import { join } from "node:path";
import { hostPolicySchema } from "@capstan/templates";
import { dockerEngine, dockerImage, requireComponents } from "@capstan/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bundle, type SystemdHost, startSystemdHost, tempDir, uniqueName } from "../test/helpers";

const ok = requireComponents(
  "host policy on a real systemd host",
  dockerEngine(),
  dockerImage("capstan-systemd-host:bookworm"),
);

// A compromised control plane: everything allowed.
const allowAll = {
  allowPrivileged: true,
  allowHostPaths: ["/"],
  systemd: {
    users: ["dynamic", "daemon", "svc", "alice", "opsy"],
    capabilities: ["CAP_SYS_ADMIN"],
    minimumProfile: "none",
    readWritePaths: ["/"],
    units: ["network-online.target"],
  },
};

describe.skipIf(!ok)("host policy on a real systemd host", { timeout: 120_000 }, () => {
  const work = tempDir("host-policy");
  const workflow = uniqueName("hp");
  let host: SystemdHost;
  const drive = (spec: Record<string, unknown>, sent: unknown = allowAll) =>
    JSON.parse(
      host.exec([
        "node",
        "/capstan-test/driver.cjs",
        JSON.stringify({
          policyFile: "/etc/capstan/policy.json",
          stateDir: "/var/lib/capstan-test",
          sent,
          workflow,
          service: "api",
          spec: { exec: ["/usr/bin/sleep", "infinity"], ...spec },
        }),
      ]),
    ) as { ok: boolean; error?: string; logs: string[] };
  const writePolicy = (policy: unknown, mode: string) => {
    host.exec(["mkdir", "-p", "/etc/capstan"]);
    host.exec(["sh", "-c", 'printf "%s" "$1" > /etc/capstan/policy.json', "sh", JSON.stringify(policy)]);
    host.exec(["chmod", mode, "/etc/capstan/policy.json"]);
  };

  beforeAll(async () => {
    await bundle(join(__dirname, "../test/fixtures/host-policy-driver.ts"), join(work, "driver.cjs"));
    await bundle(join(__dirname, "../test/fixtures/facts-driver.ts"), join(work, "facts.cjs"));
    host = await startSystemdHost("capstan-agent-hp", { [work]: "/capstan-test" });
    host.exec(["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", "svc"]);
    host.exec(["useradd", "--create-home", "--shell", "/bin/bash", "alice"]);
    host.exec(["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", "opsy"]);
    host.exec(["usermod", "--append", "--groups", "adm", "opsy"]);
  });

  afterAll(() => host?.remove());

  it("reports systemd as PID 1 in the host's facts", () => {
    const facts = JSON.parse(host.exec(["node", "/capstan-test/facts.cjs"])) as Record<string, unknown>;
    expect(host.exec(["cat", "/proc/1/comm"]).trim()).toBe("systemd");
    expect(facts).toMatchObject({ systemdPid1: true, dockerVersion: null, composeVersion: null });
    expect(facts.systemdVersion).toMatch(/^\d+$/);
  });

  it("refuses the issue's unit under the installed deny-all policy although the control plane allows it", () => {
    writePolicy(hostPolicySchema.parse({}), "0644");
    const result = drive({
      user: "daemon",
      requires: ["rescue.target"],
      hardening: { AmbientCapabilities: "CAP_SYS_ADMIN", ReadWritePaths: ["/"] },
    });
    expect(result.ok).toBe(false);
    for (const key of ["systemd.users", "systemd.capabilities", "systemd.readWritePaths", "never allowed"])
      expect(result.error).toContain(key);
    expect(result.logs).toEqual([]);
  });

  it("checks named users against the host's real accounts once the policies list them", () => {
    writePolicy({ systemd: { users: ["dynamic", "daemon", "svc", "alice", "opsy"] } }, "0644");
    expect(drive({ user: "svc" })).toMatchObject({ ok: true });
    expect(drive({ user: "daemon" }).error).toMatch(/daemon.*uid 1.*shared system account/);
    expect(drive({ user: "alice" }).error).toMatch(/login shell \/bin\/bash/);
    expect(drive({ user: "opsy" }).error).toMatch(/groups adm/);
    // The control plane can still narrow what the host allows.
    expect(drive({ user: "svc" }, {}).error).toMatch(/systemd\.users/);
  });

  it("does not trust a policy.json others can write: deny-all, with a log line", () => {
    writePolicy({ systemd: { users: ["dynamic", "svc"] } }, "0666");
    const result = drive({ user: "svc" });
    expect(result.error).toMatch(
      /user `svc` is refused by the host policy \(systemd\.users allows `dynamic`\)/,
    );
    expect(result.logs.join("")).toMatch(/not trusted.*writable by group or others \(mode 666\)/);
  });

  it("accepts StateDirectory state systemd made for DynamicUser, refuses a folder something else owns", () => {
    writePolicy(hostPolicySchema.parse({}), "0644");
    const name = `${workflow}-state`;
    // What a first deploy leaves: systemd creates /var/lib/private/<name> and a link to it.
    host.exec([
      "systemd-run",
      "--wait",
      "--quiet",
      "-p",
      "DynamicUser=yes",
      "-p",
      `StateDirectory=${name}`,
      "/bin/true",
    ]);
    expect(host.exec(["readlink", `/var/lib/${name}`]).trim()).toBe(`private/${name}`);
    expect(drive({ hardening: { StateDirectory: name } })).toMatchObject({ ok: true });
    expect(drive({ hardening: { StateDirectory: "dpkg" } }).error).toMatch(
      /StateDirectory `dpkg` would hand the existing \/var\/lib\/dpkg/,
    );
  });
});
