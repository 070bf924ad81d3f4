// AES-256-GCM envelope encryption. Each team has a random data key (DEK); the DEK is stored
// wrapped by a key-encryption key (KEK) from the keyring, secrets are sealed by the DEK.
//
// Wrapped DEK (Team.wrappedDataKey): 0x01 | dekId (16) | nonce (12) | ciphertext (32) | tag (16),
//   associated data: team id, KEK id and dekId. Team.dataKeyKekId names the KEK.
// Sealed secret (Secret.ciphertext): 0x01 | nonce (12) | ciphertext | tag (16),
//   associated data: team id, workflow id, secret name and Secret.keyId (= "dek-" + hex dekId).
// Binding the associated data means a ciphertext copied to another row, team, workflow or name,
// or a DEK copied to another team, fails authentication instead of decrypting.
import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";
import { KEY_BYTES } from "./keyring";

const FORMAT_V1 = 0x01;
const NONCE_BYTES = 12;
const TAG_BYTES = 16;
const DEK_ID_BYTES = 16;
const WRAPPED_DEK_BYTES = 1 + DEK_ID_BYTES + NONCE_BYTES + KEY_BYTES + TAG_BYTES;

/** Why a decryption failed, without any key or plaintext material. */
export class EnvelopeError extends Error {
  override readonly name = "EnvelopeError";
}

export interface DataKey {
  /** "dek-<32 hex>": stored in Secret.keyId so a secret names the data key that sealed it. */
  id: string;
  key: Buffer;
}

function seal(key: Buffer, plaintext: Buffer, aad: Buffer): { nonce: Buffer; body: Buffer; tag: Buffer } {
  const nonce = randomBytes(NONCE_BYTES);
  const cipher = createCipheriv("aes-256-gcm", key, nonce, { authTagLength: TAG_BYTES });
  cipher.setAAD(aad);
  const body = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return { nonce, body, tag: cipher.getAuthTag() };
}

function open(key: Buffer, nonce: Buffer, body: Buffer, tag: Buffer, aad: Buffer): Buffer {
  const decipher = createDecipheriv("aes-256-gcm", key, nonce, { authTagLength: TAG_BYTES });
  decipher.setAAD(aad);
  decipher.setAuthTag(tag);
  try {
    return Buffer.concat([decipher.update(body), decipher.final()]);
  } catch {
    throw new EnvelopeError("authentication failed (wrong key, or the stored value was altered or moved)");
  }
}

const dekAad = (teamId: string, kekId: string, dekId: Buffer) =>
  Buffer.from(JSON.stringify(["capstan:dek:v1", teamId, kekId, dekId.toString("hex")]));

const secretAad = (ref: SecretRef, keyId: string) =>
  Buffer.from(JSON.stringify(["capstan:secret:v1", ref.teamId, ref.workflowId, ref.name, keyId]));

export function generateDataKey(): DataKey {
  return { id: `dek-${randomBytes(DEK_ID_BYTES).toString("hex")}`, key: randomBytes(KEY_BYTES) };
}

function dekIdBytes(id: string): Buffer {
  const match = /^dek-([0-9a-f]{32})$/.exec(id);
  if (!match) throw new EnvelopeError("malformed data key id");
  return Buffer.from(match[1]!, "hex");
}

export function wrapDataKey(dek: DataKey, kek: { id: string; key: Buffer }, teamId: string): Buffer {
  const idBytes = dekIdBytes(dek.id);
  const { nonce, body, tag } = seal(kek.key, dek.key, dekAad(teamId, kek.id, idBytes));
  return Buffer.concat([Buffer.from([FORMAT_V1]), idBytes, nonce, body, tag]);
}

/** The data key id recorded in a wrapped DEK, readable without the KEK. */
export function wrappedDataKeyId(wrapped: Uint8Array): string {
  const buf = Buffer.from(wrapped);
  if (buf.length !== WRAPPED_DEK_BYTES || buf[0] !== FORMAT_V1)
    throw new EnvelopeError("malformed wrapped data key");
  return `dek-${buf.subarray(1, 1 + DEK_ID_BYTES).toString("hex")}`;
}

export function unwrapDataKey(
  wrapped: Uint8Array,
  kek: { id: string; key: Buffer },
  teamId: string,
): DataKey {
  const buf = Buffer.from(wrapped);
  const id = wrappedDataKeyId(buf);
  const nonceAt = 1 + DEK_ID_BYTES;
  const bodyAt = nonceAt + NONCE_BYTES;
  const tagAt = bodyAt + KEY_BYTES;
  const idBytes = buf.subarray(1, nonceAt);
  const nonce = buf.subarray(nonceAt, bodyAt);
  const body = buf.subarray(bodyAt, tagAt);
  const tag = buf.subarray(tagAt);
  return { id, key: open(kek.key, nonce, body, tag, dekAad(teamId, kek.id, idBytes)) };
}

/** Where a secret lives; all of it is bound into the ciphertext. */
export interface SecretRef {
  teamId: string;
  /** null for a team secret: the associated data then differs from every workflow's. */
  workflowId: string | null;
  name: string;
}

export function sealSecret(dek: DataKey, ref: SecretRef, value: string): Buffer {
  const { nonce, body, tag } = seal(dek.key, Buffer.from(value, "utf8"), secretAad(ref, dek.id));
  return Buffer.concat([Buffer.from([FORMAT_V1]), nonce, body, tag]);
}

export function openSecret(dek: DataKey, ref: SecretRef, sealed: Uint8Array): string {
  const buf = Buffer.from(sealed);
  if (buf.length < 1 + NONCE_BYTES + TAG_BYTES || buf[0] !== FORMAT_V1) {
    throw new EnvelopeError("malformed ciphertext");
  }
  const nonce = buf.subarray(1, 1 + NONCE_BYTES);
  const body = buf.subarray(1 + NONCE_BYTES, buf.length - TAG_BYTES);
  const tag = buf.subarray(buf.length - TAG_BYTES);
  const plain = open(dek.key, nonce, body, tag, secretAad(ref, dek.id));
  const value = plain.toString("utf8");
  plain.fill(0);
  return value;
}

// A user's TOTP secret is sealed directly by a KEK (it belongs to no team, so no team data key);
// the associated data binds it to the user and the KEK id.
const totpAad = (userId: string, kekId: string) =>
  Buffer.from(JSON.stringify(["capstan:totp:v1", userId, kekId]));

export function sealTotpSecret(kek: { id: string; key: Buffer }, userId: string, secret: Uint8Array): Buffer {
  const { nonce, body, tag } = seal(kek.key, Buffer.from(secret), totpAad(userId, kek.id));
  return Buffer.concat([Buffer.from([FORMAT_V1]), nonce, body, tag]);
}

export function openTotpSecret(kek: { id: string; key: Buffer }, userId: string, sealed: Uint8Array): Buffer {
  const buf = Buffer.from(sealed);
  if (buf.length < 1 + NONCE_BYTES + TAG_BYTES || buf[0] !== FORMAT_V1)
    throw new EnvelopeError("malformed ciphertext");
  const body = buf.subarray(1 + NONCE_BYTES, buf.length - TAG_BYTES);
  return open(
    kek.key,
    buf.subarray(1, 1 + NONCE_BYTES),
    body,
    buf.subarray(buf.length - TAG_BYTES),
    totpAad(userId, kek.id),
  );
}
