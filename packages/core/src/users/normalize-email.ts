import { badRequest } from "../errors";

// Deliberately loose: the address only has to be something a person can type back in.
const EMAIL = /^[^\s@]{1,64}@[^\s@]{1,255}$/;

/** Lower-cases and trims so "Ada@Example.com " and "ada@example.com" are one account. */
export function normalizeEmail(email: string): string {
  const normalized = email.trim().toLowerCase();
  if (!EMAIL.test(normalized)) throw badRequest("Enter a valid email address.");
  return normalized;
}
