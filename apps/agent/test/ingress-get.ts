// A GET through the ingress as a client on the internet would make it: to 127.0.0.1 with the
// name in SNI and Host, trusting only the given root.
import { request as httpRequest } from "node:http";
import { request as httpsRequest } from "node:https";

export interface IngressResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
  /** The serving certificate's issuer CN, for HTTPS. */
  issuer?: string;
  /** The serving certificate's serial number (upper-case hex, no leading zeros, as reported), for HTTPS. */
  serial?: string;
}

export function ingressGet(
  url: { scheme: "http" | "https"; name: string; port: number; path?: string },
  ca?: string,
  address = "127.0.0.1",
): Promise<IngressResponse> {
  return new Promise((resolve, reject) => {
    const options = {
      host: address,
      port: url.port,
      path: url.path ?? "/",
      headers: { host: url.name },
      timeout: 10_000,
      // A fresh connection each time: a kept-alive one may be closed by a config reload.
      agent: false,
      ...(url.scheme === "https" ? { servername: url.name, ca } : {}),
    };
    const req = (url.scheme === "https" ? httpsRequest : httpRequest)(options, (res) => {
      // Read now: the socket is detached from the response once it ends.
      const socket = res.socket as {
        getPeerCertificate?: () => { issuer?: { CN?: string }; serialNumber?: string };
      } | null;
      const peer = socket?.getPeerCertificate?.();
      const issuer = peer?.issuer?.CN;
      // Node keeps a leading zero byte that the certificate report drops: compare like with like.
      const serial = peer?.serialNumber?.toUpperCase().replace(/^0+(?=.)/, "");
      let body = "";
      res.on("data", (c) => {
        body += c;
      });
      res.on("end", () =>
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body, issuer, serial }),
      );
    });
    req.on("timeout", () => req.destroy(new Error("timed out")));
    req.on("error", reject);
    req.end();
  });
}

/**
 * Fresh connections through `get`, two at a time, while `work` runs and `after` more once it has
 * returned (so the run ends on what serves then), every answer counted; bounded by `maxRequests`
 * even if `work` never ends. The zero-downtime tests assert on `failures` (a count, not timing).
 */
export async function loopDuring<T>(
  get: () => Promise<IngressResponse>,
  work: () => Promise<T>,
  { after: afterCount, maxRequests = 20_000 }: { after: number; maxRequests?: number },
) {
  const bodies: string[] = [];
  const failures: string[] = [];
  let done = false;
  let after = 0;
  const client = async () => {
    while (bodies.length + failures.length < maxRequests && (!done || after < afterCount)) {
      if (done) after++;
      try {
        const res = await get();
        if (res.status === 200) bodies.push(res.body.trim());
        else failures.push(`HTTP ${res.status}: ${res.body.slice(0, 200)}`);
      } catch (error) {
        failures.push((error as Error).message);
      }
    }
  };
  const clients = [client(), client()];
  const result = await work().finally(() => {
    done = true;
  });
  await Promise.all(clients);
  return { result, bodies, failures };
}
