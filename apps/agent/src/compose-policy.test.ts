// The agent's own check, as the attack a compromised or bypassed control plane would send: the
// Compose document reaches the host only through interpolation (an env value, a secret value),
// and the agent refuses it with the host policy before anything is rendered or written.
import { composeServiceSpecSchema, DEFAULT_HOST_POLICY, hostPolicySchema } from "@capstan/templates";
import { describe, expect, it } from "vitest";
import { renderComposeFiles } from "./runtimes/compose";
import type { StageRequest } from "./runtimes/types";

const stage = (input: {
  spec: ReturnType<typeof spec>;
  secrets: Record<string, string>;
  hostPolicy: StageRequest["hostPolicy"];
}) =>
  renderComposeFiles({
    ref: { workflow: "w", service: "s" },
    releaseId: "r1-aaaa",
    revision: { number: 1, hash: "h" },
    ...input,
  });

const spec = (volume: string, env: Record<string, string> = {}, secrets: string[] = []) =>
  composeServiceSpecSchema.parse({
    compose: { inline: { services: { app: { image: "capstan-busybox:test", volumes: [volume] } } } },
    env,
    secrets,
  });

describe("the agent's Compose policy check", () => {
  it("refuses a bind of / that only interpolation reveals, and renders it once the policy allows it", () => {
    const input = { spec: spec("${ROOT}:/host", { ROOT: "/" }), secrets: {} };
    expect(() => stage({ ...input, hostPolicy: DEFAULT_HOST_POLICY })).toThrow(/allowHostPaths/);
    const allowed = hostPolicySchema.parse({ allowHostPaths: ["/"], allowDockerSocket: true });
    expect(stage({ ...input, hostPolicy: allowed }).compose).toContain("- /:/host");
  });

  it("refuses a secret value that is a host path, without naming the value", () => {
    const input = {
      spec: spec("${DATA}:/data", {}, ["DATA"]),
      secrets: { DATA: "/etc/secret-location" },
      hostPolicy: DEFAULT_HOST_POLICY,
    };
    expect(() => stage(input)).toThrow(/allowHostPaths/);
    expect(() => stage(input)).not.toThrow(/secret-location/);
  });
});
