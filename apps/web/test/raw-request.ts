// Test-only: one raw HTTP request. node:http sends the path unnormalised (fetch would resolve dot
// segments), and `from` picks the local address (127.0.0.2 ...) so a server sees another client.
import { request as httpRequest } from "node:http";

export interface RawAnswer {
  status: number;
  body: string;
}

export function rawRequest(
  port: number,
  options: {
    method: string;
    path: string;
    headers?: Record<string, string | number>;
    body?: string;
    from?: string;
  },
): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      {
        host: "127.0.0.1",
        port,
        method: options.method,
        path: options.path,
        headers: options.headers,
        localAddress: options.from,
      },
      (res) => {
        let text = "";
        res.on("data", (chunk) => {
          text += chunk;
        });
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body: text }));
      },
    );
    req.on("error", reject);
    req.end(options.body);
  });
}
