// A dispatcher over Fetch route handlers by method and OpenAPI-style path template
// (`/jobs/{jobId}/lease`), called the way Next's router calls them: decoded path parameters in
// `params`. The lean agent server routes with it; tests use it to drive route handlers in-process.

export type RouteHandler = (
  request: Request,
  context: { params: Promise<Record<string, string>> },
) => Promise<Response>;

function decodeParam(value: string): string | undefined {
  try {
    return decodeURIComponent(value);
  } catch {
    return undefined; // a malformed escape (`%zz`) matches no route
  }
}

/** `endpoints` is an API's endpoint table; `handlers` has the route handler of each entry. */
export function dispatchTo<K extends string>(
  endpoints: Record<K, { method: string; path: string }>,
  handlers: Record<K, RouteHandler>,
  options: { prefix?: string; notFound: () => Response },
) {
  const table = (Object.keys(endpoints) as K[]).map((name) => {
    const { method, path } = endpoints[name];
    const names: string[] = [];
    const source = `${options.prefix ?? ""}${path}`
      .replace(/[.]/g, "\\.")
      .replace(/\{(\w+)\}/g, (_m, name: string) => {
        names.push(name);
        return "([^/]+)";
      });
    return { method, handler: handlers[name], pattern: new RegExp(`^${source}$`), names };
  });
  return async function dispatch(request: Request): Promise<Response> {
    const { pathname } = new URL(request.url);
    for (const route of table) {
      const match = route.pattern.exec(pathname);
      if (!match || route.method !== request.method) continue;
      const values = route.names.map((_, i) => decodeParam(match[i + 1]!));
      if (values.some((v) => v === undefined)) return options.notFound();
      const params = Object.fromEntries(route.names.map((n, i) => [n, values[i]!]));
      return route.handler(request, { params: Promise.resolve(params) });
    }
    return options.notFound();
  };
}
