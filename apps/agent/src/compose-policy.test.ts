// The agent's own check, as the attack a compromised or bypassed control plane would send: the
// Compose document reaches the host only through interpolation (an env value, a secret value),
// and the agent refuses it with the host policy before anything is rendered or written.
import { composeServiceSpecSchema, DEFAULT_HOST_POLICY, hostPolicySchema } from "@capstan/templates";
import { describe, expect, it } from "vitest";
import { renderer } from "./render";

const spec = (volume: string, env: Record<string, string> = {}, secrets: string[] = []) =>
  composeServiceSpecSchema.parse({
    compose: { inline: { services: { app: { image: "capstan-busybox:test", volumes: [volume] } } } },
    env,
    secrets,
  });

describe("the agent's Compose policy check", () => {
  it("refuses a bind of / that only interpolation reveals, and renders it once the policy allows it", () => {
    const input = { workflow: "w", service: "s", spec: spec("${ROOT}:/host", { ROOT: "/" }), secrets: {} };
    expect(() => renderer.compose({ ...input, hostPolicy: DEFAULT_HOST_POLICY })).toThrow(/allowHostPaths/);
    const allowed = hostPolicySchema.parse({ allowHostPaths: ["/"], allowDockerSocket: true });
    expect(renderer.compose({ ...input, hostPolicy: allowed }).compose).toContain("- /:/host");
  });

  it("refuses a secret value that is a host path, without naming the value", () => {
    const input = {
      workflow: "w",
      service: "s",
      spec: spec("${DATA}:/data", {}, ["DATA"]),
      secrets: { DATA: "/etc/secret-location" },
      hostPolicy: DEFAULT_HOST_POLICY,
    };
    expect(() => renderer.compose(input)).toThrow(/allowHostPaths/);
    expect(() => renderer.compose(input)).not.toThrow(/secret-location/);
  });
});
