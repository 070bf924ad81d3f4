// Where sign-in may send the browser afterwards: only somewhere on this origin. Control
// characters and backslashes are refused outright, because browsers drop tabs and newlines and
// read `\` as `/`, turning "/\t/evil.example" or "/\evil.example" into another origin.

/** Not a usable URL at all (the route answers 400); null when it parses, wherever it points. */
export function callbackUrlProblem(value: string, baseUrl: string): string | null {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: refusing them is the point
  if (value.length > 2048 || /[\u0000-\u001f\u007f\\]/.test(value))
    return "callbackUrl must not contain control characters or backslashes (and at most 2048 characters).";
  try {
    new URL(value, baseUrl);
    return null;
  } catch {
    return "callbackUrl is not a valid URL: pass a path on this site, like /t/my-team.";
  }
}

/** The absolute URL `value` resolves to against `baseUrl`, or null when malformed or on another origin. */
export function resolveCallbackUrl(value: string, baseUrl: string): URL | null {
  if (value === "" || callbackUrlProblem(value, baseUrl)) return null;
  const base = new URL(baseUrl);
  const url = new URL(value, base);
  return url.origin === base.origin ? url : null;
}

/** For pages: a path on this site (default "/"), never another origin. */
export function callbackPath(value: string | string[] | undefined, baseUrl: string): string {
  const raw = Array.isArray(value) ? value[0] : value;
  const url = raw === undefined ? null : resolveCallbackUrl(raw, baseUrl);
  return url ? `${url.pathname}${url.search}${url.hash}` : "/";
}
