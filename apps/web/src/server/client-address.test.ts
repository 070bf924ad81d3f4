// The client address sign-in throttling keys on: forged X-Forwarded-For is ignored unless the
// peer is a trusted proxy, and a forged peer header never survives a real socket.
import { once } from "node:events";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { describe, expect, it } from "vitest";
import {
  PEER_ADDRESS_HEADER,
  parseTrustedProxies,
  resolveClientAddress,
  stampPeerAddresses,
} from "./client-address";

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

  it("stamps every request with its socket's peer, overwriting a forged header", async () => {
    stampPeerAddresses();
    stampPeerAddresses(); // twice is harmless
    const server = http.createServer((req, res) => res.end(String(req.headers[PEER_ADDRESS_HEADER])));
    server.listen(0, "127.0.0.1");
    await once(server, "listening");
    try {
      const { port } = server.address() as AddressInfo;
      const response = await fetch(`http://127.0.0.1:${port}/`, {
        headers: { [PEER_ADDRESS_HEADER]: "6.6.6.6", "x-forwarded-for": "6.6.6.6" },
      });
      expect(await response.text()).toMatch(/^(::ffff:)?127\.0\.0\.1$/);
    } finally {
      server.close();
    }
  });
});
