// A small fetch on node:http/https. Node's global fetch (undici) costs about 13 MB of resident
// memory once loaded; the agent idles for weeks between deploys, so it speaks HTTP through the
// core modules instead. Only what the protocol client, health checks, artifact downloads and
// webhook deliveries use is implemented: method, headers, string body, AbortSignal, redirects for
// GET, and a response with status, headers, json()/text() and a web stream body. With an
// `addresses` policy every hop's address is checked (net/address-policy.ts); with a `pin` every
// TLS peer's public key is (net/certificate-pin.ts).
import { request as httpRequest, type IncomingMessage } from "node:http";
import { request as httpsRequest } from "node:https";
import { Readable } from "node:stream";
import { type AddressPolicy, assertUrlAddress, guardedLookup } from "./address-policy";
import { CertificatePinError, pinnedAgent } from "./certificate-pin";

export interface LiteResponse {
  ok: boolean;
  status: number;
  headers: { get(name: string): string | null };
  body: ReadableStream<Uint8Array> | null;
  json(): Promise<unknown>;
  text(): Promise<string>;
}

interface LiteInit {
  method?: string;
  headers?: Record<string, string>;
  body?: string;
  signal?: AbortSignal | null;
  redirect?: "follow" | "manual";
  /** Refuse connections to addresses this policy does not allow (checked after DNS, every hop). */
  addresses?: AddressPolicy;
  /** `sha256:<hex>` of the server's SubjectPublicKeyInfo: any other TLS peer (or plain http) is refused. */
  pin?: string;
}

function toResponse(res: IncomingMessage): LiteResponse {
  let consumed = false;
  let stream: ReadableStream<Uint8Array> | null = null;
  const text = async () => {
    consumed = true;
    const chunks: Buffer[] = [];
    for await (const chunk of res) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks).toString("utf8");
  };
  return {
    ok: (res.statusCode ?? 0) >= 200 && (res.statusCode ?? 0) < 300,
    status: res.statusCode ?? 0,
    headers: {
      get(name) {
        const value = res.headers[name.toLowerCase()];
        return value === undefined ? null : Array.isArray(value) ? value.join(", ") : value;
      },
    },
    get body() {
      if (!stream && !consumed) {
        consumed = true;
        stream = Readable.toWeb(res) as unknown as ReadableStream<Uint8Array>;
      }
      return stream;
    },
    text,
    async json() {
      return JSON.parse(await text());
    },
  };
}

export function liteFetch(input: string | URL, init: LiteInit = {}, redirects = 5): Promise<LiteResponse> {
  const url = new URL(String(input));
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    return Promise.reject(new TypeError(`unsupported protocol ${url.protocol}`));
  }
  const method = (init.method ?? "GET").toUpperCase();
  const headers: Record<string, string> = { ...init.headers };
  if (init.body !== undefined) headers["content-length"] = String(Buffer.byteLength(init.body));
  if (init.addresses) {
    try {
      assertUrlAddress(url, init.addresses);
    } catch (error) {
      return Promise.reject(new TypeError("fetch failed", { cause: error }));
    }
  }
  if (init.pin && url.protocol !== "https:") {
    return Promise.reject(
      new CertificatePinError(`a certificate pin is set, so ${url.origin} (not https) is refused`),
    );
  }
  const lookup = init.addresses ? guardedLookup(init.addresses) : undefined;
  const agent = init.pin ? pinnedAgent(init.pin) : undefined;
  return new Promise((resolve, reject) => {
    const send = url.protocol === "https:" ? httpsRequest : httpRequest;
    const req = send(url, { method, headers, signal: init.signal ?? undefined, lookup, agent }, (res) => {
      const location = res.headers.location;
      if (
        init.redirect !== "manual" &&
        method === "GET" &&
        location &&
        [301, 302, 303, 307, 308].includes(res.statusCode ?? 0)
      ) {
        res.resume();
        if (redirects <= 0) return reject(new Error("too many redirects"));
        return resolve(liteFetch(new URL(location, url), init, redirects - 1));
      }
      resolve(toResponse(res));
    });
    req.once("error", (error) =>
      reject(error instanceof CertificatePinError ? error : new TypeError("fetch failed", { cause: error })),
    );
    req.end(init.body);
  });
}

/** For APIs typed with the global fetch (the protocol client): same shape for what they use. */
export const agentFetch = liteFetch as unknown as typeof fetch;
