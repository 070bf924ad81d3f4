// API tokens look like `cst_<43 base64url characters>` (256 random bits). Only the sha256 is
// stored, so a database dump yields no usable token; the first characters are kept as a prefix
// so people can tell tokens apart in lists.
import { createHash, randomBytes } from "node:crypto";

export const API_TOKEN_PATTERN = /^cst_[A-Za-z0-9_-]{43}$/;
const PREFIX_LENGTH = 12;

export function newApiTokenSecret(): { token: string; tokenHash: string; prefix: string } {
  const token = `cst_${randomBytes(32).toString("base64url")}`;
  return { token, tokenHash: hashApiToken(token), prefix: token.slice(0, PREFIX_LENGTH) };
}

export function hashApiToken(token: string): string {
  return createHash("sha256").update(token, "utf8").digest("hex");
}
