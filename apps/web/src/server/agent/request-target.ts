// The request target exactly as the agent sent it. The agent's signature covers method and path,
// but a Request's URL is already normalised (`/api/agent/v1/./poll` reads as `/api/agent/v1/poll`),
// so the server would otherwise verify a path other than the one on the wire, and a proxy rule
// on raw paths could be walked around. This records Node's raw `req.url` in a header the route
// wrapper reads; a client-sent header of that name is overwritten, never trusted.
import { type IncomingMessage, Server } from "node:http";

export const REQUEST_TARGET_HEADER = "x-capstan-request-target";

const INSTALLED = Symbol.for("capstan.requestTarget");

/** Records the raw target of every request this process's HTTP servers receive. Idempotent. */
export function recordRequestTargets(): void {
  const proto = Server.prototype as Server & { [INSTALLED]?: true };
  if (proto[INSTALLED]) return;
  const emit = proto.emit;
  proto.emit = function (this: Server, event: string | symbol, ...args: unknown[]) {
    if (event === "request") {
      const request = args[0] as IncomingMessage;
      request.headers[REQUEST_TARGET_HEADER] = request.url ?? "";
    }
    return Reflect.apply(emit, this, [event, ...args]) as boolean;
  } as typeof proto.emit;
  proto[INSTALLED] = true;
}
