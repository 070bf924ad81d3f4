// The one-time setup code: without it, the first stranger to reach a fresh install could make
// themselves its owner. Each control-plane process that starts while no user exists makes one,
// prints it in its own log, and stores only its sha256 (in the database, so any replica can
// check it). Setup deletes every code in the transaction that creates the owner.
import { createHash, randomInt, timingSafeEqual } from "node:crypto";
import type { Db } from "../db";
import { forbidden } from "../errors";

// Crockford base32: no I, L, O or U to misread. 12 characters are 60 bits.
const ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
const CODE_LENGTH = 12;

const hashCode = (normalized: string) => createHash("sha256").update(normalized).digest();

/** Upper-cases and drops spaces and dashes, so a code copied from the log in any form works. */
export function normalizeSetupCode(code: string): string {
  return code.toUpperCase().replace(/[\s-]+/g, "");
}

/** Makes and stores a code while no user exists; returns it (as XXXX-XXXX-XXXX) or null. */
export async function issueSetupCode(db: Db): Promise<string | null> {
  if (await db.user.findFirst({ select: { id: true } })) return null;
  let code = "";
  for (let i = 0; i < CODE_LENGTH; i++) code += ALPHABET[randomInt(ALPHABET.length)];
  await db.setupCode.create({ data: { codeHash: hashCode(code).toString("hex") } });
  return code.match(/.{4}/g)!.join("-");
}

/**
 * The id of the stored code `code` matches. Every stored hash is compared in constant time, so
 * the answer's timing says nothing about how close a guess was.
 */
export async function findSetupCode(db: Db, code: string): Promise<string> {
  const given = hashCode(normalizeSetupCode(code));
  const rows = await db.setupCode.findMany({ select: { id: true, codeHash: true } });
  let match: string | null = null;
  for (const row of rows) {
    const stored = Buffer.from(row.codeHash, "hex");
    if (stored.length === given.length && timingSafeEqual(stored, given)) match = row.id;
  }
  if (!match)
    throw forbidden(
      'Wrong setup code. Copy it from the server log (the line with "setup code") or from the `npm start` banner.',
    );
  return match;
}
