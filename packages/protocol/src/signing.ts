// Request signing: every agent request after enrollment carries a short-lived EdDSA JWT signed
// with the host's Ed25519 key, in `Authorization: Bearer`. Binding method, path and a body hash
// into the token means a captured token cannot be used for another request, and the nonce (jti)
// means it cannot be used twice. The server keeps the public key only, so a database dump yields
// no usable credential.
import {
  createHash,
  createPrivateKey,
  createPublicKey,
  verify as cryptoVerify,
  generateKeyPairSync,
  type KeyObject,
  randomUUID,
} from "node:crypto";
import { decodeJwt, SignJWT } from "jose";

export const SIGNATURE_AUDIENCE = "capstan-agent-v1";
export const SIGNATURE_TYPE = "capstan-agent+jwt";
/** Longest accepted lifetime of one signature (exp - iat). */
export const MAX_SIGNATURE_LIFETIME_SECONDS = 60;
/** What the client asks for; short so a leaked token is useless quickly. */
export const DEFAULT_SIGNATURE_LIFETIME_SECONDS = 30;
/** Accepted difference between the host's clock and the control plane's. */
export const CLOCK_SKEW_SECONDS = 30;

export interface AgentKeyPair {
  /** base64 of the SPKI DER encoding: what enrollment sends and the server stores. */
  publicKey: string;
  /** PKCS#8 PEM: what the agent keeps on disk (mode 0600). */
  privateKeyPem: string;
}

export function generateAgentKeyPair(): AgentKeyPair {
  const { publicKey, privateKey } = generateKeyPairSync("ed25519");
  return {
    publicKey: publicKey.export({ type: "spki", format: "der" }).toString("base64"),
    privateKeyPem: privateKey.export({ type: "pkcs8", format: "pem" }).toString(),
  };
}

export function importAgentPrivateKey(pem: string): KeyObject {
  const key = createPrivateKey(pem);
  if (key.asymmetricKeyType !== "ed25519") throw new Error("The agent key must be an Ed25519 private key.");
  return key;
}

export function importAgentPublicKey(spkiBase64: string): KeyObject {
  const key = createPublicKey({ key: Buffer.from(spkiBase64, "base64"), format: "der", type: "spki" });
  if (key.asymmetricKeyType !== "ed25519") throw new Error("The agent key must be an Ed25519 public key.");
  return key;
}

/** The public half of a private key, as enrollment sends it. */
export function exportAgentPublicKey(privateKey: KeyObject): string {
  return createPublicKey(privateKey).export({ type: "spki", format: "der" }).toString("base64");
}

/** sha256 of the raw request body, base64url; the empty body hashes like any other. */
export function hashBody(body: string | Uint8Array): string {
  return createHash("sha256").update(body).digest("base64url");
}

export interface SignRequestInput {
  hostId: string;
  privateKey: KeyObject;
  method: string;
  /** Path and query as sent, e.g. `/api/agent/v1/poll`. */
  path: string;
  body: string | Uint8Array;
  lifetimeSeconds?: number;
  /** For tests of clock skew; defaults to the host clock. */
  nowSeconds?: number;
}

export async function signAgentRequest(input: SignRequestInput): Promise<string> {
  const iat = input.nowSeconds ?? Math.floor(Date.now() / 1000);
  const lifetime = Math.min(
    input.lifetimeSeconds ?? DEFAULT_SIGNATURE_LIFETIME_SECONDS,
    MAX_SIGNATURE_LIFETIME_SECONDS,
  );
  return new SignJWT({ htm: input.method.toUpperCase(), htu: input.path, bsh: hashBody(input.body) })
    .setProtectedHeader({ alg: "EdDSA", typ: SIGNATURE_TYPE })
    .setSubject(input.hostId)
    .setAudience(SIGNATURE_AUDIENCE)
    .setIssuedAt(iat)
    .setExpirationTime(iat + lifetime)
    .setJti(randomUUID())
    .sign(input.privateKey);
}

export class SignatureError extends Error {
  readonly reason: "BAD_SIGNATURE" | "EXPIRED" | "MISMATCH" | "MALFORMED";
  constructor(reason: SignatureError["reason"], message: string) {
    super(message);
    this.name = "SignatureError";
    this.reason = reason;
  }
}

/**
 * The host id the token claims, read WITHOUT verifying, only to find which public key to verify
 * with. Never trust it before `verifyAgentRequest` succeeds.
 */
export function readClaimedHostId(token: string): string {
  try {
    const { sub } = decodeJwt(token);
    if (typeof sub !== "string" || sub.length === 0) throw new Error("no sub");
    return sub;
  } catch {
    throw new SignatureError("MALFORMED", "The Authorization token is not a Capstan agent signature.");
  }
}

export interface VerifiedAgentRequest {
  hostId: string;
  nonce: string;
  /** Seconds since epoch; the nonce must be remembered until exp + skew. */
  expiresAt: number;
}

export interface VerifyRequestInput {
  publicKey: KeyObject;
  method: string;
  path: string;
  bodyHash: string;
  nowSeconds?: number;
  clockSkewSeconds?: number;
}

const B64URL = /^[A-Za-z0-9_-]+$/;

function decodeJson(part: string): unknown {
  try {
    return JSON.parse(Buffer.from(part, "base64url").toString("utf8"));
  } catch {
    throw new SignatureError("MALFORMED", "The Authorization token is not a Capstan agent signature.");
  }
}

/**
 * Verifies a compact JWS with Node's synchronous Ed25519 (tens of microseconds). jose's
 * verification goes through WebCrypto's thread pool, which cost the control plane about a tenth
 * of its CPU at 1,000 agents; signing (agent side) still uses jose.
 */
function verifyCompactJws(token: string, publicKey: KeyObject): Record<string, unknown> {
  const parts = token.split(".");
  if (parts.length !== 3 || !parts.every((part) => B64URL.test(part))) {
    throw new SignatureError("MALFORMED", "The Authorization token is not a Capstan agent signature.");
  }
  const [headerPart, payloadPart, signaturePart] = parts as [string, string, string];
  const header = decodeJson(headerPart) as Record<string, unknown> | null;
  if (
    typeof header !== "object" ||
    header === null ||
    (header.alg !== "EdDSA" && header.alg !== "Ed25519") ||
    header.typ !== SIGNATURE_TYPE ||
    "crit" in header ||
    "b64" in header
  ) {
    throw new SignatureError("BAD_SIGNATURE", "The request signature is not valid for this host.");
  }
  const valid = cryptoVerify(
    null,
    Buffer.from(`${headerPart}.${payloadPart}`, "ascii"),
    publicKey,
    Buffer.from(signaturePart, "base64url"),
  );
  if (!valid) throw new SignatureError("BAD_SIGNATURE", "The request signature is not valid for this host.");
  const payload = decodeJson(payloadPart);
  if (typeof payload !== "object" || payload === null || Array.isArray(payload)) {
    throw new SignatureError("MALFORMED", "The request signature carries no claims.");
  }
  return payload as Record<string, unknown>;
}

export async function verifyAgentRequest(
  token: string,
  input: VerifyRequestInput,
): Promise<VerifiedAgentRequest> {
  const skew = input.clockSkewSeconds ?? CLOCK_SKEW_SECONDS;
  const now = input.nowSeconds ?? Math.floor(Date.now() / 1000);
  const payload = verifyCompactJws(token, input.publicKey);
  const aud = payload.aud;
  if (aud !== SIGNATURE_AUDIENCE && !(Array.isArray(aud) && aud.includes(SIGNATURE_AUDIENCE))) {
    throw new SignatureError("BAD_SIGNATURE", "The request signature is for another audience.");
  }
  if (typeof payload.exp === "number" && now > payload.exp + skew) {
    throw new SignatureError("EXPIRED", "The request signature expired.");
  }
  if (typeof payload.nbf === "number" && now + skew < payload.nbf) {
    throw new SignatureError("BAD_SIGNATURE", "The request signature is not valid yet.");
  }
  const { sub, iat, exp, jti, htm, htu, bsh } = payload as Record<string, unknown>;
  if (
    typeof iat !== "number" ||
    typeof exp !== "number" ||
    typeof jti !== "string" ||
    typeof sub !== "string"
  ) {
    throw new SignatureError("MALFORMED", "The request signature lacks iat, exp, jti or sub.");
  }
  if (exp - iat > MAX_SIGNATURE_LIFETIME_SECONDS) {
    throw new SignatureError(
      "BAD_SIGNATURE",
      `Signatures may live at most ${MAX_SIGNATURE_LIFETIME_SECONDS} s.`,
    );
  }
  if (iat > now + skew)
    throw new SignatureError("BAD_SIGNATURE", "The request signature is issued in the future.");
  if (jti.length > 100) throw new SignatureError("MALFORMED", "The nonce is too long.");
  if (htm !== input.method.toUpperCase() || htu !== input.path || bsh !== input.bodyHash) {
    throw new SignatureError("MISMATCH", "The request signature was made for another request.");
  }
  return { hostId: sub, nonce: jti, expiresAt: exp };
}
