// The control plane's Ed25519 signing key (docs/dev/agent-protocol.md, "Signed orders"). One row,
// created by whichever replica needs it first (the insert skips a duplicate, then everyone reads
// the winner), so every replica signs with the same key and agents enrolled through any of them
// verify. The private key is sealed by the secrets keyring's current KEK; a row sealed by an
// older KEK, or kept clear because the control plane ran without a keyring (development), is
// re-sealed with the current KEK the next time it is loaded.
import type { KeyObject } from "node:crypto";
import { generateAgentKeyPair, importAgentPrivateKey } from "@capstan/protocol";
import type { Db } from "../db";
import { AppError } from "../errors";
import { EnvelopeError, openSecret, sealSecret } from "../secrets/envelope";
import type { Keyring } from "../secrets/keyring";

export interface ControlPlaneKey {
  /** base64 of the SPKI DER: what enrollment and heartbeats hand to agents. */
  publicKey: string;
  privateKey: KeyObject;
}

const ROW_ID = 1;
// The envelope's secret sealing, bound to a reference no team secret can have (team ids are UUIDs).
const SEAL_REF = { teamId: "control-plane", workflowId: "signing-key", name: "ed25519" };

function seal(
  pem: string,
  keyring: Keyring | null,
): { privateKey: Uint8Array<ArrayBuffer>; kekId: string | null } {
  if (!keyring) return { privateKey: new Uint8Array(Buffer.from(pem, "utf8")), kekId: null };
  const kek = { id: keyring.currentKeyId, key: keyring.currentKey() };
  return { privateKey: new Uint8Array(sealSecret(kek, SEAL_REF, pem)), kekId: kek.id };
}

function open(row: { privateKey: Uint8Array; kekId: string | null }, keyring: Keyring | null): string {
  if (row.kekId === null) return Buffer.from(row.privateKey).toString("utf8");
  const key = keyring?.key(row.kekId);
  if (!key) {
    throw new AppError(
      "UNAVAILABLE",
      `The control plane's signing key is sealed by key-encryption key "${row.kekId}", which the configured secrets key (CAPSTAN_SECRETS_KEY) does not hold. Add that key to the keyring; agents refuse jobs until then.`,
    );
  }
  try {
    return openSecret({ id: row.kekId, key }, SEAL_REF, row.privateKey);
  } catch (error) {
    if (!(error instanceof EnvelopeError)) throw error;
    throw new AppError(
      "UNAVAILABLE",
      `The control plane's signing key cannot be opened with key-encryption key "${row.kekId}": ${error.message}.`,
    );
  }
}

export async function loadControlPlaneKey(db: Db, keyring: Keyring | null): Promise<ControlPlaneKey> {
  let row = await db.controlPlaneKey.findUnique({ where: { id: ROW_ID } });
  if (!row) {
    const pair = generateAgentKeyPair();
    await db.controlPlaneKey.createMany({
      data: [{ id: ROW_ID, publicKey: pair.publicKey, ...seal(pair.privateKeyPem, keyring) }],
      skipDuplicates: true,
    });
    row = await db.controlPlaneKey.findUniqueOrThrow({ where: { id: ROW_ID } });
  }
  const pem = open(row, keyring);
  if (keyring && row.kekId !== keyring.currentKeyId) {
    // Conditional on the old kekId: two replicas re-sealing at once both write a valid row.
    await db.controlPlaneKey.updateMany({
      where: { id: ROW_ID, kekId: row.kekId },
      data: seal(pem, keyring),
    });
  }
  return { publicKey: row.publicKey, privateKey: importAgentPrivateKey(pem) };
}
