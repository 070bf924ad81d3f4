import { createHash, randomBytes } from "node:crypto";

// The token is shown once; the database keeps only its sha256, so a dump cannot enroll a host.
const PREFIX = "cst_enr_";

export function newEnrollmentToken(): { token: string; tokenHash: string } {
  const token = `${PREFIX}${randomBytes(32).toString("base64url")}`;
  return { token, tokenHash: hashEnrollmentToken(token) };
}

export function hashEnrollmentToken(token: string): string {
  return createHash("sha256").update(token, "utf8").digest("hex");
}

export function isEnrollmentTokenShape(token: string): boolean {
  return /^cst_enr_[A-Za-z0-9_-]{43}$/.test(token);
}
