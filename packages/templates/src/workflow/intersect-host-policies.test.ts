import { describe, expect, it } from "vitest";
import { DEFAULT_HOST_POLICY, hostPolicySchema } from "./host-policy";
import { intersectHostPolicies } from "./intersect-host-policies";

const allowAll = hostPolicySchema.parse({
  allowPrivileged: true,
  allowDockerSocket: true,
  allowHostPaths: ["/"],
  allowHostNetwork: true,
  allowHostNamespaces: true,
  allowCapabilities: true,
  allowDevices: true,
  systemd: {
    users: ["dynamic", "app", "daemon"],
    capabilities: ["CAP_SYS_ADMIN", "CAP_NET_BIND_SERVICE"],
    minimumProfile: "none",
    readWritePaths: ["/"],
    units: ["network-online.target", "postgresql.service"],
  },
});

describe("intersectHostPolicies", () => {
  it("a control plane that allows everything cannot widen a deny-all local policy", () => {
    expect(intersectHostPolicies(allowAll, DEFAULT_HOST_POLICY)).toEqual({
      ...DEFAULT_HOST_POLICY,
      systemd: { ...DEFAULT_HOST_POLICY.systemd, units: ["network-online.target"] },
    });
    // Order does not matter.
    expect(intersectHostPolicies(DEFAULT_HOST_POLICY, allowAll)).toEqual(
      intersectHostPolicies(allowAll, DEFAULT_HOST_POLICY),
    );
  });

  it("takes the narrower value key by key", () => {
    const local = hostPolicySchema.parse({
      allowPrivileged: true,
      allowHostPaths: ["/srv", "/opt/app/data"],
      allowCapabilities: ["CAP_NET_ADMIN"],
      systemd: {
        users: ["dynamic", "app"],
        capabilities: ["CAP_NET_BIND_SERVICE"],
        minimumProfile: "baseline",
        readWritePaths: ["/srv/shop"],
        units: ["postgresql.service"],
      },
    });
    const sent = hostPolicySchema.parse({
      allowPrivileged: false,
      allowDockerSocket: true,
      allowHostPaths: ["/srv/data", "/opt"],
      allowCapabilities: true,
      systemd: {
        users: ["app", "daemon"],
        capabilities: ["CAP_NET_BIND_SERVICE", "CAP_SYS_ADMIN"],
        minimumProfile: "none",
        readWritePaths: ["/"],
        units: ["postgresql.service", "redis.service"],
      },
    });
    const effective = intersectHostPolicies(local, sent);
    expect(effective.allowPrivileged).toBe(false);
    expect(effective.allowDockerSocket).toBe(false);
    expect(effective.allowHostPaths.sort()).toEqual(["/opt/app/data", "/srv/data"]);
    expect(effective.allowCapabilities).toEqual(["CAP_NET_ADMIN"]);
    expect(effective.systemd).toEqual({
      users: ["app"],
      capabilities: ["CAP_NET_BIND_SERVICE"],
      minimumProfile: "baseline",
      readWritePaths: ["/srv/shop"],
      units: ["postgresql.service"],
    });
  });

  it("keeps what both allow", () => {
    expect(intersectHostPolicies(allowAll, allowAll)).toEqual(allowAll);
  });
});
