// The key-encryption keys (KEKs) that wrap each team's data key. The control plane receives them
// as CAPSTAN_SECRETS_KEY or CAPSTAN_SECRETS_KEY_FILE (read by the app's env module, never here):
// one or more entries separated by commas, spaces or newlines, each `id:base64` or bare `base64`
// (32 bytes). The first entry is current: new data keys are wrapped with it. Older entries stay
// only so data keys wrapped by them can still be opened (and re-wrapped, see rewrap-data-keys.ts).
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { inspect } from "node:util";
import { AppError } from "../errors";

export const KEY_BYTES = 32;
export const KEY_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

/**
 * Current KEK id plus every KEK by id. Keys are kept out of JSON, util.inspect and string
 * conversion so a keyring logged by mistake shows only its ids.
 */
export class Keyring {
  readonly currentKeyId: string;
  readonly #keys: ReadonlyMap<string, Buffer>;

  constructor(currentKeyId: string, keys: ReadonlyMap<string, Buffer>) {
    if (!keys.has(currentKeyId))
      throw new Error(`Keyring: current key ${currentKeyId} is not in the keyring.`);
    for (const [id, key] of keys) {
      if (!KEY_ID_PATTERN.test(id)) throw new Error(`Keyring: invalid key id ${JSON.stringify(id)}.`);
      if (key.length !== KEY_BYTES)
        throw new Error(`Keyring: key ${id} is ${key.length} bytes, not ${KEY_BYTES}.`);
    }
    this.currentKeyId = currentKeyId;
    this.#keys = new Map(keys);
  }

  get keyIds(): string[] {
    return [...this.#keys.keys()];
  }

  has(id: string): boolean {
    return this.#keys.has(id);
  }

  /** The key with this id, or undefined. Callers must not keep or log it. */
  key(id: string): Buffer | undefined {
    return this.#keys.get(id);
  }

  currentKey(): Buffer {
    return this.#keys.get(this.currentKeyId)!;
  }

  toJSON(): { currentKeyId: string; keyIds: string[] } {
    return { currentKeyId: this.currentKeyId, keyIds: this.keyIds };
  }

  toString(): string {
    return `Keyring(${this.keyIds.join(", ")})`;
  }

  [inspect.custom](): string {
    return this.toString();
  }
}

/** A stable id for a key given without one, so reordering or adding keys never renames it. */
export function fingerprintKeyId(key: Buffer): string {
  return `kek-${createHash("sha256").update("capstan:kek-id:v1").update(key).digest("hex").slice(0, 16)}`;
}

function decodeKey(text: string, label: string): Buffer {
  // Accept standard and URL-safe base64, with or without padding; refuse anything else outright
  // (Buffer.from silently skips invalid characters).
  if (!/^[A-Za-z0-9+/_-]+={0,2}$/.test(text)) throw invalidKeyring(`${label} is not base64.`);
  const key = Buffer.from(text.replace(/-/g, "+").replace(/_/g, "/"), "base64");
  if (key.length !== KEY_BYTES) {
    throw invalidKeyring(
      `${label} decodes to ${key.length} bytes; it must be ${KEY_BYTES} (\`openssl rand -base64 32\`).`,
    );
  }
  return key;
}

function invalidKeyring(reason: string): AppError {
  // The reason never quotes the key material, only where it is wrong.
  return new AppError("UNAVAILABLE", `The secrets key (CAPSTAN_SECRETS_KEY) is invalid: ${reason}`);
}

/** Parses `id:base64` / `base64` entries; the first one becomes the current key. */
export function parseKeyring(text: string): Keyring {
  // A key file may carry comments (`# rotated 2025-06`); base64 never contains `#`.
  const withoutComments = text.replace(/#[^\n]*/g, "");
  const entries = withoutComments.split(/[\s,]+/).filter((entry) => entry.length > 0);
  if (entries.length === 0) throw invalidKeyring("it is empty.");
  const keys = new Map<string, Buffer>();
  entries.forEach((entry, index) => {
    const label = `entry ${index + 1}`;
    const colon = entry.indexOf(":");
    const id = colon >= 0 ? entry.slice(0, colon) : null;
    const key = decodeKey(colon >= 0 ? entry.slice(colon + 1) : entry, label);
    const keyId = id ?? fingerprintKeyId(key);
    if (!KEY_ID_PATTERN.test(keyId))
      throw invalidKeyring(`${label} has an invalid id (letters, digits, . _ -).`);
    if (keys.has(keyId)) throw invalidKeyring(`key id ${keyId} appears twice.`);
    keys.set(keyId, key);
  });
  return new Keyring(keys.keys().next().value!, keys);
}

export interface KeyringSource {
  /** The value of CAPSTAN_SECRETS_KEY. */
  value?: string | null;
  /** The path in CAPSTAN_SECRETS_KEY_FILE. */
  file?: string | null;
}

/** The keyring from the variable or the file (exactly one may be set); null when neither is. */
export function loadKeyring(source: KeyringSource): Keyring | null {
  if (source.value && source.file) {
    throw invalidKeyring("set CAPSTAN_SECRETS_KEY or CAPSTAN_SECRETS_KEY_FILE, not both.");
  }
  if (source.value) return parseKeyring(source.value);
  if (source.file) {
    let text: string;
    try {
      text = readFileSync(source.file, "utf8");
    } catch (error) {
      throw invalidKeyring(
        `cannot read CAPSTAN_SECRETS_KEY_FILE (${(error as NodeJS.ErrnoException).code ?? "error"}).`,
      );
    }
    return parseKeyring(text);
  }
  return null;
}

/** For use cases that need the keys: a control plane without a key cannot read or write secrets. */
export function requireKeyring(keyring: Keyring | null | undefined): Keyring {
  if (!keyring) {
    throw new AppError(
      "UNAVAILABLE",
      "Secrets are unavailable: this control plane has no secrets key. Set CAPSTAN_SECRETS_KEY or CAPSTAN_SECRETS_KEY_FILE.",
    );
  }
  return keyring;
}
