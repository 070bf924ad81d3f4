// Test-only: route handlers served over real HTTP on loopback (the dispatcher is the lean agent
// server's, src/server/route-table.ts).
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import {
  clientGone,
  readNodeBody,
  sendFetchResponse,
  toFetchRequest,
} from "@/server/agent-server/node-fetch";

export { dispatchTo, type RouteHandler } from "@/server/route-table";

export interface LoopbackServer {
  url: string;
  close(): Promise<void>;
}

/** Serves `dispatch` over real HTTP on 127.0.0.1 (a random port), for clients in other processes. */
export async function serveOnLoopback(
  dispatch: (request: Request) => Promise<Response>,
): Promise<LoopbackServer> {
  let url = "";
  const server = createServer(async (req, res) => {
    const body = await readNodeBody(req, Number.POSITIVE_INFINITY);
    // The client hanging up aborts the request, as in Next.js (live log streams end on it).
    const request = toFetchRequest(req, { origin: url, body: body ?? undefined, signal: clientGone(res) });
    await sendFetchResponse(res, await dispatch(request));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    close: async () => {
      // Agents hold long polls open; they must not keep the test waiting.
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
