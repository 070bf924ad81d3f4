// Test helper: a real HTTP webhook receiver on 127.0.0.1 that records every request and answers
// with what the test scripts (200 by default). Not imported by application code.
import { createServer, type IncomingHttpHeaders, type Server } from "node:http";

interface ReceivedRequest {
  headers: IncomingHttpHeaders;
  body: string;
  answered: number;
}

export interface TestReceiver {
  url: string;
  requests: ReceivedRequest[];
  /** Status to answer for the next request; shifted off per request, then 200. */
  script: number[];
  close(): Promise<void>;
  /** Resolves when `predicate` holds (checked as requests arrive), or rejects after `timeoutMs`. */
  waitFor(predicate: (requests: ReceivedRequest[]) => boolean, timeoutMs?: number): Promise<void>;
}

export async function startTestReceiver(path = "/hooks/capstan"): Promise<TestReceiver> {
  const requests: ReceivedRequest[] = [];
  const script: number[] = [];
  const waiters = new Set<() => void>();
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const answered = script.shift() ?? 200;
      requests.push({ headers: req.headers, body: Buffer.concat(chunks).toString("utf8"), answered });
      res.writeHead(answered, { "content-type": "text/plain" }).end(answered < 300 ? "ok" : "nope");
      for (const wake of waiters) wake();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}${path}`,
    requests,
    script,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
    waitFor(predicate, timeoutMs = 15_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          if (!predicate(requests)) return;
          clearTimeout(timer);
          waiters.delete(check);
          resolve();
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(
            new Error(`receiver: condition not met after ${timeoutMs} ms (${requests.length} requests)`),
          );
        }, timeoutMs);
        waiters.add(check);
        check();
      });
    },
  };
}
