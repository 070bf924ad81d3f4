// Cookie-authenticated endpoints (tRPC and the route handlers beside it: artifact upload, exports,
// deployment events) answer only the dashboard's own pages. A browser sends Sec-Fetch-Site on
// every request (a header pages cannot set); older ones send Origin on cross-origin requests.
// Callers without either (curl, the CLI) are not browsers, so a cookie cannot be riding along
// by accident and they are let through.
import { type AppError, forbidden } from "@capstan/core/errors";

/** `none` is a request the user started (address bar, bookmark), not another site. */
const ALLOWED_FETCH_SITES = new Set(["same-origin", "none"]);

/** Null when the request may proceed, else the 403 to answer with (nothing else done). */
export function crossOriginRefusal(request: Request): AppError | null {
  const refuse = () =>
    forbidden("Cross-origin request refused: use the Capstan dashboard, or the public API with a token.");
  const site = request.headers.get("sec-fetch-site");
  if (site !== null) return ALLOWED_FETCH_SITES.has(site.toLowerCase()) ? null : refuse();
  const origin = request.headers.get("origin");
  if (origin === null) return null;
  // Behind a proxy the scheme the server sees may differ, so the host is what must match.
  const host = request.headers.get("host") ?? new URL(request.url).host;
  try {
    return new URL(origin).host === host.toLowerCase() ? null : refuse();
  } catch {
    return refuse();
  }
}
