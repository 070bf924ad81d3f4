// The control plane's signature on what it orders an agent to do. TLS alone makes "whoever can
// answer the agent's HTTPS" root on every host (a mis-issued certificate, a proxy that terminates
// TLS, a DNS takeover); with this, running anything needs the control plane's Ed25519 private key,
// which never leaves the control plane. The agent learns the public key at enrollment.
//
// A signature covers the canonical JSON (canonicalJson below) of
//   ["capstan-control-plane-v1", purpose, hostId, expiresAt, <the message without `signature`>]
// so a job signed for host A does not verify on host B, a job is not an upgrade order, and a
// captured message stops verifying after expiresAt.
import {
  createHash,
  createPublicKey,
  sign as cryptoSign,
  verify as cryptoVerify,
  type KeyObject,
} from "node:crypto";
import { z } from "zod";
import { isoDateSchema, publicKeySchema, uuidSchema } from "./common";
import { importAgentPublicKey } from "./signing";

const DOMAIN = "capstan-control-plane-v1";
/** What each signature is for; part of the signed bytes, so one kind never passes for another. */
export type SignedPurpose = "job-assignment" | "agent-upgrade" | "host-prune";

/** How long a signed job or upgrade order stays valid; agents compare with their own clock. */
export const CONTROL_PLANE_SIGNATURE_SECONDS = 300;
/** Accepted difference between the host's clock and the control plane's. */
export const CONTROL_PLANE_CLOCK_SKEW_SECONDS = 120;

/** How refusals name what was signed. */
export function signedPurposeLabel(purpose: SignedPurpose): string {
  return { "job-assignment": "job", "agent-upgrade": "upgrade order", "host-prune": "prune order" }[purpose];
}

export const controlPlaneSignatureSchema = z.object({
  alg: z.literal("Ed25519"),
  /** The host this message is for. */
  hostId: uuidSchema,
  expiresAt: isoDateSchema,
  /** base64 of the 64-byte Ed25519 signature. */
  value: z.string().regex(/^[A-Za-z0-9+/]{86}==$/, "value must be base64 of a 64-byte Ed25519 signature"),
});
export type ControlPlaneSignature = z.infer<typeof controlPlaneSignatureSchema>;

/** The control plane's public key as enrollment and heartbeats carry it (base64 SPKI DER). */
export const controlPlaneKeySchema = publicKeySchema;

/**
 * JSON with object keys sorted (by UTF-16 code units, as Array.prototype.sort does), no
 * whitespace, `undefined` members left out; strings and numbers exactly as JSON.stringify writes
 * them. Both sides compute it on the message after zod parsing, so defaults and stripped unknown
 * keys are the same on both.
 */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value === "boolean" || typeof value === "string") return JSON.stringify(value);
  if (typeof value === "number") {
    if (!Number.isFinite(value)) throw new TypeError("canonicalJson: numbers must be finite");
    return JSON.stringify(value);
  }
  if (Array.isArray(value)) return `[${value.map((item) => canonicalJson(item ?? null)).join(",")}]`;
  if (typeof value === "object") {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(",")}}`;
  }
  throw new TypeError(`canonicalJson: cannot serialise a ${typeof value}`);
}

function signedBytes(
  purpose: SignedPurpose,
  hostId: string,
  expiresAt: string,
  message: Record<string, unknown>,
): Buffer {
  const { signature: _ignored, ...body } = message;
  return Buffer.from(canonicalJson([DOMAIN, purpose, hostId, expiresAt, body]), "utf8");
}

export interface SignForHostInput {
  purpose: SignedPurpose;
  hostId: string;
  privateKey: KeyObject;
  /** Defaults to now + CONTROL_PLANE_SIGNATURE_SECONDS. */
  expiresAt?: Date;
}

/** The message with its `signature` (any earlier one replaced). */
export function signForHost<T extends Record<string, unknown>>(
  message: T,
  input: SignForHostInput,
): T & { signature: ControlPlaneSignature } {
  const expiresAt = (
    input.expiresAt ?? new Date(Date.now() + CONTROL_PLANE_SIGNATURE_SECONDS * 1000)
  ).toISOString();
  const value = cryptoSign(
    null,
    signedBytes(input.purpose, input.hostId, expiresAt, message),
    input.privateKey,
  ).toString("base64");
  return { ...message, signature: { alg: "Ed25519", hostId: input.hostId, expiresAt, value } };
}

export type ControlPlaneSignatureReason = "MISSING" | "BAD_SIGNATURE" | "OTHER_HOST" | "EXPIRED" | "NO_KEY";

export class ControlPlaneSignatureError extends Error {
  override name = "ControlPlaneSignatureError";
  constructor(
    readonly reason: ControlPlaneSignatureReason,
    message: string,
  ) {
    super(message);
  }
}

export interface VerifyForHostInput {
  purpose: SignedPurpose;
  /** This host's id (from its own identity file, never from the message). */
  hostId: string;
  /** The control plane's key: base64 SPKI, or a KeyObject. */
  publicKey: string | KeyObject;
  nowMs?: number;
  clockSkewSeconds?: number;
}

/** Throws ControlPlaneSignatureError unless `message` carries a valid signature for this host, now. */
export function verifyForHost(message: Record<string, unknown>, input: VerifyForHostInput): void {
  const what = signedPurposeLabel(input.purpose);
  const parsed = controlPlaneSignatureSchema.safeParse(message.signature);
  if (!parsed.success) {
    throw new ControlPlaneSignatureError(
      "MISSING",
      message.signature === undefined
        ? `the ${what} carries no control-plane signature`
        : `the ${what}'s signature is malformed`,
    );
  }
  const signature = parsed.data;
  const key =
    typeof input.publicKey === "string"
      ? importAgentPublicKey(input.publicKey)
      : createPublicKey(input.publicKey);
  const valid = cryptoVerify(
    null,
    signedBytes(input.purpose, signature.hostId, signature.expiresAt, message),
    key,
    Buffer.from(signature.value, "base64"),
  );
  if (!valid) {
    throw new ControlPlaneSignatureError(
      "BAD_SIGNATURE",
      `the ${what}'s signature does not verify with the control plane's key (altered, or signed by another key)`,
    );
  }
  if (signature.hostId !== input.hostId) {
    throw new ControlPlaneSignatureError(
      "OTHER_HOST",
      `the ${what} was signed for host ${signature.hostId}, not this host`,
    );
  }
  const skewMs = (input.clockSkewSeconds ?? CONTROL_PLANE_CLOCK_SKEW_SECONDS) * 1000;
  if ((input.nowMs ?? Date.now()) > Date.parse(signature.expiresAt) + skewMs) {
    throw new ControlPlaneSignatureError(
      "EXPIRED",
      `the ${what}'s signature expired at ${signature.expiresAt}`,
    );
  }
}

/** A short, stable name for a key in logs and the docs' `openssl` recipe: sha256 of the SPKI DER. */
export function controlPlaneKeyFingerprint(publicKey: string): string {
  return `sha256:${createHash("sha256").update(Buffer.from(publicKey, "base64")).digest("hex")}`;
}
