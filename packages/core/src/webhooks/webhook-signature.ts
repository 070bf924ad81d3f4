// Signing: `Capstan-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>`.
// The timestamp is part of the signed text, so a captured request cannot be replayed later than
// the receiver's tolerance. The secret string itself (UTF-8) is the HMAC key.
import { createHmac, timingSafeEqual } from "node:crypto";

export const SIGNATURE_HEADER = "Capstan-Signature";

export function signWebhookBody(secret: string, body: string, timestamp: number): string {
  const t = Math.floor(timestamp);
  const mac = createHmac("sha256", secret).update(`${t}.${body}`).digest("hex");
  return `t=${t},v1=${mac}`;
}

/**
 * What a receiver does (docs/user/webhooks.md shows the same in a few lines): recompute the HMAC over
 * the raw body, compare in constant time, and refuse old timestamps.
 */
export function verifyWebhookSignature(
  secret: string,
  header: string | null | undefined,
  body: string,
  options: { toleranceSeconds?: number; now?: number } = {},
): boolean {
  if (!header) return false;
  const parts = new Map<string, string[]>();
  for (const item of header.split(",")) {
    const at = item.indexOf("=");
    if (at <= 0) continue;
    const key = item.slice(0, at).trim();
    parts.set(key, [...(parts.get(key) ?? []), item.slice(at + 1).trim()]);
  }
  const t = Number(parts.get("t")?.[0]);
  if (!Number.isInteger(t)) return false;
  const now = options.now ?? Date.now() / 1000;
  if (Math.abs(now - t) > (options.toleranceSeconds ?? 300)) return false;
  const expected = Buffer.from(createHmac("sha256", secret).update(`${t}.${body}`).digest("hex"));
  return (parts.get("v1") ?? []).some((candidate) => {
    const given = Buffer.from(candidate);
    return given.length === expected.length && timingSafeEqual(given, expected);
  });
}
