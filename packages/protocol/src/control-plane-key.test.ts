import { randomUUID } from "node:crypto";
import { describe, expect, it } from "vitest";
import {
  CONTROL_PLANE_CLOCK_SKEW_SECONDS,
  ControlPlaneSignatureError,
  canonicalJson,
  signForHost,
  verifyForHost,
} from "./control-plane-key";
import { agentUpgradeOrderSchema } from "./heartbeat";
import { jobAssignmentSchema } from "./poll";
import { generateAgentKeyPair, importAgentPrivateKey } from "./signing";

const hostA = randomUUID();
const hostB = randomUUID();
const key = generateAgentKeyPair();
const other = generateAgentKeyPair();

function job() {
  const now = new Date().toISOString();
  // Input as the control plane builds it: durations as text, defaults left out.
  return jobAssignmentSchema.parse({
    id: randomUUID(),
    deploymentId: randomUUID(),
    leaseId: randomUUID(),
    leaseExpiresAt: now,
    leaseSeconds: 60,
    deadlineAt: now,
    serverTime: now,
    attempt: 1,
    lastSeq: 0,
    workflow: { id: randomUUID(), name: "shop" },
    revision: { id: randomUUID(), number: 3, hash: "a".repeat(64) },
    rollback: false,
    services: [
      {
        name: "web",
        kind: "compose",
        spec: {
          compose: { inline: { services: { web: { image: "capstan-busybox:test", ports: ["8080:80"] } } } },
          env: { GREETING: 'hé \u2028 "quoted"' },
          deadline: "2m",
        },
        secrets: { TOKEN: "s3cret" },
      },
    ],
    hostPolicy: { allowHostPaths: ["/srv"] },
  });
}

const sign = <T extends Record<string, unknown>>(
  message: T,
  hostId = hostA,
  pem = key.privateKeyPem,
  expiresAt?: Date,
) =>
  signForHost(message, {
    purpose: "job-assignment",
    hostId,
    privateKey: importAgentPrivateKey(pem),
    expiresAt,
  });

function refusal(fn: () => void): string {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(ControlPlaneSignatureError);
    return (error as ControlPlaneSignatureError).reason;
  }
  throw new Error("expected a refusal");
}

describe("control-plane signatures", () => {
  it("a signed job verifies after a JSON round trip and the agent's schema parse", () => {
    const signed = sign(job());
    // What the agent sees: the response body, parsed again by the same schema.
    const received = jobAssignmentSchema.parse(JSON.parse(JSON.stringify(signed)));
    expect(() =>
      verifyForHost(received, { purpose: "job-assignment", hostId: hostA, publicKey: key.publicKey }),
    ).not.toThrow();
  });

  it("refuses a tampered field, a missing signature, another host, another key, another purpose and an expired one", () => {
    const verify =
      (message: Record<string, unknown>, hostId = hostA, nowMs?: number) =>
      () =>
        verifyForHost(message, { purpose: "job-assignment", hostId, publicKey: key.publicKey, nowMs });
    const signed = sign(job());

    const tampered = structuredClone(signed);
    tampered.services[0]!.secrets.TOKEN = "other";
    expect(refusal(verify(tampered))).toBe("BAD_SIGNATURE");
    const widened = structuredClone(signed);
    widened.hostPolicy.allowPrivileged = true;
    expect(refusal(verify(widened))).toBe("BAD_SIGNATURE");

    const { signature: _s, ...unsigned } = signed;
    expect(refusal(verify(unsigned))).toBe("MISSING");
    // Re-addressing the signature to this host breaks it: the host id is in the signed bytes.
    const readdressed = {
      ...sign(job(), hostB),
      signature: { ...sign(job(), hostB).signature, hostId: hostA },
    };
    expect(refusal(verify(readdressed))).toBe("BAD_SIGNATURE");
    expect(refusal(verify(sign(job(), hostB)))).toBe("OTHER_HOST");
    expect(refusal(verify(sign(job(), hostA, other.privateKeyPem)))).toBe("BAD_SIGNATURE");
    expect(() =>
      verifyForHost(signed, { purpose: "agent-upgrade", hostId: hostA, publicKey: key.publicKey }),
    ).toThrow(ControlPlaneSignatureError);

    const expired = sign(job(), hostA, key.privateKeyPem, new Date(Date.now() - 1000));
    const later = Date.now() + CONTROL_PLANE_CLOCK_SKEW_SECONDS * 1000 + 1000;
    expect(refusal(verify(expired, hostA, later))).toBe("EXPIRED");
    // Moving the expiry forward is tampering.
    const extended = {
      ...expired,
      signature: { ...expired.signature, expiresAt: new Date(later + 60_000).toISOString() },
    };
    expect(refusal(verify(extended, hostA, later))).toBe("BAD_SIGNATURE");
  });

  it("signs upgrade orders the same way", () => {
    const order = agentUpgradeOrderSchema.parse({
      id: randomUUID(),
      version: "1.2.3",
      executableSha256: "b".repeat(64),
      deadlineSeconds: 120,
    });
    const signed = signForHost(order, {
      purpose: "agent-upgrade",
      hostId: hostA,
      privateKey: importAgentPrivateKey(key.privateKeyPem),
    });
    const input = { purpose: "agent-upgrade" as const, hostId: hostA, publicKey: key.publicKey };
    expect(() => verifyForHost(agentUpgradeOrderSchema.parse(signed), input)).not.toThrow();
    expect(refusal(() => verifyForHost({ ...signed, executableSha256: "c".repeat(64) }, input))).toBe(
      "BAD_SIGNATURE",
    );
  });

  it("canonical JSON sorts keys at every depth and drops undefined members", () => {
    expect(canonicalJson({ b: 1, a: [{ d: undefined, c: "x" }], é: null })).toBe(
      '{"a":[{"c":"x"}],"b":1,"é":null}',
    );
    expect(canonicalJson({ a: 1, b: 2 })).toBe(canonicalJson({ b: 2, a: 1 }));
    expect(() => canonicalJson({ n: Number.NaN })).toThrow(/finite/);
  });
});
