// The client address sign-in throttling keys on: forged X-Forwarded-For is ignored unless the
// peer is a trusted proxy, and a forged peer header never survives a real socket.
import { once } from "node:events";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { describe, expect, it } from "vitest";
import { parseTrustedProxies, resolveClientAddress } from "./client-address";
import { PEER_ADDRESS_HEADER, REQUEST_TARGET_HEADER, stampRequests } from "./request-stamps";

describe("client address", () => {
  const proxies = parseTrustedProxies("10.0.0.0/8, 192.0.2.1, fd00::/8");

  it("ignores X-Forwarded-For unless the peer is a trusted proxy", () => {
    expect(resolveClientAddress("203.0.113.9", "1.2.3.4", null)).toBe("203.0.113.9");
    expect(resolveClientAddress("203.0.113.9", "1.2.3.4", proxies)).toBe("203.0.113.9");
    expect(resolveClientAddress("::ffff:203.0.113.9", null, null)).toBe("203.0.113.9");
    expect(resolveClientAddress(null, "1.2.3.4", proxies)).toBeNull();
  });

  it("takes the rightmost hop that is not a trusted proxy", () => {
    // The client prepends a forged hop; the proxies append what they saw.
    expect(resolveClientAddress("10.0.0.5", "6.6.6.6, 198.51.100.7, 10.1.2.3", proxies)).toBe("198.51.100.7");
    expect(resolveClientAddress("192.0.2.1", "198.51.100.7", proxies)).toBe("198.51.100.7");
    expect(resolveClientAddress("fd00::1", "2001:db8::7", proxies)).toBe("2001:db8::7");
    // Only proxies in the chain: the leftmost is the best we know; garbage stops the walk.
    expect(resolveClientAddress("10.0.0.5", "10.0.0.9", proxies)).toBe("10.0.0.9");
    expect(resolveClientAddress("10.0.0.5", "not-an-ip, 10.0.0.9", proxies)).toBe("10.0.0.9");
    expect(resolveClientAddress("10.0.0.5", "", proxies)).toBe("10.0.0.5");
  });

  it("refuses a CAPSTAN_TRUSTED_PROXIES entry that is not an address or range, naming it", () => {
    for (const bad of ["10.0.0.0/33", "proxy.internal", "10.0.0.1/8/1", "::1/129", "10.0.0.1/x"])
      expect(() => parseTrustedProxies(`10.0.0.1, ${bad}`)).toThrow(
        `"${bad}" is not an IP address or CIDR range`,
      );
  });

  it("stamps every request with its socket's peer and raw target, overwriting forged headers", async () => {
    stampRequests();
    stampRequests(); // twice is harmless
    const server = http.createServer((req, res) =>
      res.end(`${req.headers[PEER_ADDRESS_HEADER]} ${req.headers[REQUEST_TARGET_HEADER]}`),
    );
    server.listen(0, "127.0.0.1");
    await once(server, "listening");
    try {
      const { port } = server.address() as AddressInfo;
      // node:http sends the path as written (fetch would normalise the dot segment away).
      const request = http.get({
        host: "127.0.0.1",
        port,
        path: "/a/./b?x=1",
        headers: {
          [PEER_ADDRESS_HEADER]: "6.6.6.6",
          [REQUEST_TARGET_HEADER]: "/forged",
          "x-forwarded-for": "6.6.6.6",
        },
      });
      const [response] = (await once(request, "response")) as [http.IncomingMessage];
      let body = "";
      for await (const chunk of response) body += chunk;
      expect(body).toMatch(/^(::ffff:)?127\.0\.0\.1 \/a\/\.\/b\?x=1$/);
    } finally {
      server.close();
    }
  });
});
