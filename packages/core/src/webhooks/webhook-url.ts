import { isIP } from "node:net";
import { classifyAddress } from "@capstan/protocol/net/address-policy";
import { badRequest } from "../errors";

const MAX_URL_LENGTH = 2000;

/**
 * Webhook URLs are http(s) only and carry no credentials (they would be shown to every viewer of
 * the team; the signature is how receivers authenticate Capstan). Private and loopback addresses
 * are accepted here (a setting decides at delivery, see send-webhook-deliveries.ts); link-local
 * ones never. Returns the normalised URL.
 */
export function checkWebhookUrl(input: string): string {
  const text = input.trim();
  // biome-ignore lint/suspicious/noControlCharactersInRegex: refusing control characters is the point
  if (text.length === 0 || text.length > MAX_URL_LENGTH || /[\u0000-\u001f\u007f\s]/.test(text))
    throw badRequest("Enter the receiver's URL, like https://hooks.example.com/capstan (no spaces).");
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw badRequest("That is not a valid URL; use https://host/path.");
  }
  if (url.protocol !== "https:" && url.protocol !== "http:")
    throw badRequest("Webhook URLs must start with https:// (or http://).");
  if (url.username || url.password)
    throw badRequest(
      "Webhook URLs must not contain a user name or password; receivers check the Capstan-Signature header instead.",
    );
  if (!url.hostname) throw badRequest("The webhook URL has no host name.");
  // Also checked on every delivery after DNS; refusing the literal here says so at once.
  const literal = url.hostname.replace(/^\[|\]$/g, "");
  if (isIP(literal) && classifyAddress(literal) === "link-local")
    throw badRequest(
      "Webhook URLs must not point at link-local addresses (169.254.0.0/16, fe80::/10): cloud metadata services answer there.",
    );
  url.hash = "";
  return url.toString();
}
