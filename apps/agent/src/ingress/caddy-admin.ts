// Caddy's admin API on a unix socket (never a TCP port another local user could reach). The agent
// only ever replaces the whole config (`POST /load`): Caddy swaps it in gracefully, keeping open
// connections, and rolls back by itself when the new config does not load.
import { request } from "node:http";

/** Caddy checks the Host of every admin request against `origins`, also on a socket. */
const ADMIN_ORIGIN = "capstan-ingress";

/**
 * The `admin` block of every config the agent gives Caddy: the socket only. Caddy keeps the last
 * loaded config (XDG_CONFIG_HOME, inside the ingress folder) so `--resume` restores the routes.
 */
export function adminConfig(socketPath: string) {
  return { listen: `unix/${socketPath}`, origins: [ADMIN_ORIGIN], config: { persist: true } };
}

export class CaddyAdminError extends Error {
  override name = "CaddyAdminError";
}

export function caddyAdmin(socketPath: string) {
  const call = (method: string, path: string, body?: string, timeoutMs = 60_000) =>
    new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = request(
        {
          socketPath,
          method,
          path,
          headers: { host: ADMIN_ORIGIN, ...(body ? { "content-type": "application/json" } : {}) },
          timeout: timeoutMs,
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on("data", (c: Buffer) => chunks.push(c));
          res.on("end", () =>
            resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString("utf8") }),
          );
          res.on("error", reject);
        },
      );
      req.on("timeout", () =>
        req.destroy(new CaddyAdminError(`Caddy's admin API did not answer ${method} ${path}`)),
      );
      req.on("error", reject);
      req.end(body);
    });
  return {
    /** Replaces the running config; throws with Caddy's own message when it refuses it. */
    async load(config: unknown): Promise<void> {
      const res = await call("POST", "/load", JSON.stringify(config));
      if (res.status !== 200)
        throw new CaddyAdminError(
          `Caddy refused the ingress config (${res.status}): ${res.body.slice(0, 600)}`,
        );
    },
    async config(): Promise<unknown> {
      const res = await call("GET", "/config/");
      if (res.status !== 200) throw new CaddyAdminError(`Caddy's admin API answered ${res.status}`);
      return JSON.parse(res.body);
    },
    async reachable(): Promise<boolean> {
      try {
        return (await call("GET", "/config/", undefined, 5000)).status === 200;
      } catch {
        return false;
      }
    },
  };
}
export type CaddyAdmin = ReturnType<typeof caddyAdmin>;
