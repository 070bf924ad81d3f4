// Next's route handlers see neither the socket nor the raw request target, only a normalised URL
// and the client's headers. Two facts the server needs are therefore stamped on every request as
// headers, at the HTTP server, before Next reads it (a client-sent header of the same name is
// overwritten, never trusted):
// - the socket's peer address (sign-in throttling, client-address.ts): X-Forwarded-For alone
//   could be forged;
// - the request target exactly as sent (the agent API verifies signatures over it,
//   agent/agent-route.ts): `/api/agent/v1/./poll` must not read as `/api/agent/v1/poll`.
import http from "node:http";
import https from "node:https";

export const PEER_ADDRESS_HEADER = "x-capstan-peer-address";
export const REQUEST_TARGET_HEADER = "x-capstan-request-target";

const INSTALLED = Symbol.for("capstan.request-stamps");

/** Wraps the HTTP servers' request event of this process. Idempotent. */
export function stampRequests(): void {
  for (const Server of [http.Server, https.Server]) {
    const proto = Server.prototype as http.Server & { [INSTALLED]?: true };
    if (proto[INSTALLED]) continue;
    proto[INSTALLED] = true;
    const emit = proto.emit as (this: http.Server, event: string | symbol, ...args: unknown[]) => boolean;
    proto.emit = function (this: http.Server, event: string | symbol, ...args: unknown[]) {
      if (event === "request") {
        const req = args[0] as http.IncomingMessage;
        req.headers[PEER_ADDRESS_HEADER] = req.socket?.remoteAddress ?? "";
        req.headers[REQUEST_TARGET_HEADER] = req.url ?? "";
      }
      return emit.call(this, event, ...args);
    } as typeof proto.emit;
  }
}
