// Test-only: request headers a hostile page's browser would send to a cookie-authenticated
// endpoint (another site; a sibling subdomain; an old browser with only Origin; a sandboxed
// frame), and ones from the dashboard itself. Not imported by application code.
export const HOSTILE_ORIGIN_HEADERS: Record<string, string>[] = [
  { "sec-fetch-site": "cross-site", origin: "https://evil.example" },
  { "sec-fetch-site": "same-site", origin: "https://evil.127.0.0.1" },
  { origin: "https://evil.example" },
  { origin: "null" },
];

export const SAME_ORIGIN_HEADERS: Record<string, string>[] = [
  { "sec-fetch-site": "same-origin", origin: "http://127.0.0.1" },
  { "sec-fetch-site": "none" },
  { origin: "http://127.0.0.1" },
  {},
];
