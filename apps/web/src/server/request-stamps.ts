// Next's route handlers see neither the socket nor the raw request target, only a normalised URL
// and the client's headers. Two facts the server needs are therefore stamped on every request as
// headers, at the HTTP server, before Next reads it (a client-sent header of the same name is
// overwritten, never trusted):
// - the socket's peer address (sign-in throttling, client-address.ts): X-Forwarded-For alone
//   could be forged;
// - the request target exactly as sent (the agent API verifies signatures over it,
//   agent/agent-route.ts): `/api/agent/v1/./poll` must not read as `/api/agent/v1/poll`.
// Behind the lean agent server (agent-server/), which proxies the dashboard's requests, the socket's
// peer is that server: its peer-address header is believed only when the request also carries the
// front token, a random value the agent server gave this process when it started it.
import { timingSafeEqual } from "node:crypto";
import http from "node:http";
import https from "node:https";

export const PEER_ADDRESS_HEADER = "x-capstan-peer-address";
export const REQUEST_TARGET_HEADER = "x-capstan-request-target";
export const FRONT_TOKEN_HEADER = "x-capstan-front-token";

const INSTALLED = Symbol.for("capstan.request-stamps");

/** True when `sent` (a header's value) is the front token, compared in constant time. */
export function carriesFrontToken(sent: string | string[] | undefined, token: Buffer | undefined): boolean {
  if (!token || typeof sent !== "string") return false;
  const given = Buffer.from(sent);
  return given.length === token.length && timingSafeEqual(given, token);
}

/**
 * Wraps the HTTP servers' request event of this process. Idempotent. `frontToken`: set when the
 * lean agent server started this process and proxies to it.
 */
export function stampRequests(frontToken?: string): void {
  const token = frontToken ? Buffer.from(frontToken) : undefined;
  for (const Server of [http.Server, https.Server]) {
    const proto = Server.prototype as http.Server & { [INSTALLED]?: true };
    if (proto[INSTALLED]) continue;
    proto[INSTALLED] = true;
    const emit = proto.emit as (this: http.Server, event: string | symbol, ...args: unknown[]) => boolean;
    proto.emit = function (this: http.Server, event: string | symbol, ...args: unknown[]) {
      if (event === "request") {
        const req = args[0] as http.IncomingMessage;
        const proxied = carriesFrontToken(req.headers[FRONT_TOKEN_HEADER], token);
        delete req.headers[FRONT_TOKEN_HEADER];
        if (!proxied || typeof req.headers[PEER_ADDRESS_HEADER] !== "string")
          req.headers[PEER_ADDRESS_HEADER] = req.socket?.remoteAddress ?? "";
        req.headers[REQUEST_TARGET_HEADER] = req.url ?? "";
      }
      return emit.call(this, event, ...args);
    } as typeof proto.emit;
  }
}
