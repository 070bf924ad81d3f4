import { DEFAULT_HOST_POLICY, hostPolicySchema } from "@capstan/templates";
import { describe, expect, it } from "vitest";
import { fromSystemdDraft, readSystemdPolicy, toSystemdDraft } from "./systemd-policy-section";

describe("the host policy form's systemd section", () => {
  it("reads a policy saved before the section existed as the safe defaults", () => {
    expect(readSystemdPolicy(undefined)).toEqual(DEFAULT_HOST_POLICY.systemd);
  });

  it("round-trips what an admin types into a policy the server accepts", () => {
    const draft = {
      ...toSystemdDraft(DEFAULT_HOST_POLICY.systemd),
      users: "dynamic, app",
      capabilities: "CAP_NET_BIND_SERVICE",
      minimumProfile: "baseline" as const,
      readWritePaths: "/srv/shop\n/var/spool/ingest\n",
      units: "network-online.target\npostgresql.service",
    };
    const policy = hostPolicySchema.parse({ systemd: fromSystemdDraft(draft) });
    expect(policy.systemd).toEqual({
      users: ["dynamic", "app"],
      capabilities: ["CAP_NET_BIND_SERVICE"],
      minimumProfile: "baseline",
      readWritePaths: ["/srv/shop", "/var/spool/ingest"],
      units: ["network-online.target", "postgresql.service"],
    });
    expect(toSystemdDraft(readSystemdPolicy(policy.systemd))).toEqual({
      ...draft,
      readWritePaths: "/srv/shop\n/var/spool/ingest",
    });
    // The server refuses what can never be allowed.
    expect(
      hostPolicySchema.safeParse({ systemd: fromSystemdDraft({ ...draft, units: "reboot.target" }) }).success,
    ).toBe(false);
  });
});
