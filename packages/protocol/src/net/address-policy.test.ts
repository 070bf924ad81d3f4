// The outbound address policy is checked on the address really connected to: literals, names
// (after DNS) and every redirect hop.
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { classifyAddress, refusedAddress } from "./address-policy";
import { liteFetch } from "./lite-fetch";

describe("classifyAddress", () => {
  it.each([
    ["169.254.169.254", "link-local"],
    ["::ffff:169.254.169.254", "link-local"],
    ["fe80::1", "link-local"],
    ["fd00:ec2::254", "link-local"],
    ["127.0.0.1", "loopback"],
    ["::1", "loopback"],
    ["10.1.2.3", "private"],
    ["172.31.0.1", "private"],
    ["192.168.1.1", "private"],
    ["fd12::1", "private"],
    ["0.0.0.0", "unspecified"],
    ["224.0.0.1", "multicast"],
    ["93.184.216.34", "public"],
    ["2606:4700::1111", "public"],
  ])("%s is %s", (ip, kind) => expect(classifyAddress(ip)).toBe(kind));

  it("never allows link-local, allows private only when asked", () => {
    expect(refusedAddress("169.254.169.254", { allowPrivate: true })).toMatch(/link-local/);
    expect(refusedAddress("10.0.0.1", { allowPrivate: false })).toMatch(/private/);
    expect(refusedAddress("10.0.0.1", { allowPrivate: true })).toBeNull();
    expect(refusedAddress("8.8.8.8", { allowPrivate: false })).toBeNull();
  });
});

describe("liteFetch with an address policy", () => {
  let server: Server;
  let port: number;
  const hits: string[] = [];
  beforeAll(async () => {
    server = createServer((req, res) => {
      hits.push(req.url ?? "");
      if (req.url === "/to-metadata") res.writeHead(302, { location: "http://169.254.169.254/latest/" });
      else res.writeHead(200);
      res.end("ok");
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  const cause = (p: Promise<unknown>) =>
    p.then(
      () => null,
      (e: Error & { cause?: Error }) => e.cause?.message,
    );

  it("refuses a loopback literal and a name resolving to loopback unless private addresses are allowed", async () => {
    const before = hits.length;
    expect(
      await cause(liteFetch(`http://127.0.0.1:${port}/a`, { addresses: { allowPrivate: false } })),
    ).toMatch(/loopback/);
    expect(
      await cause(liteFetch(`http://localhost:${port}/b`, { addresses: { allowPrivate: false } })),
    ).toMatch(/localhost resolves to .*loopback/);
    expect(hits.length).toBe(before);
    const ok = await liteFetch(`http://localhost:${port}/c`, { addresses: { allowPrivate: true } });
    expect(ok.status).toBe(200);
  });

  it("checks every redirect hop: a redirect to the metadata address is refused", async () => {
    const reason = await cause(
      liteFetch(`http://127.0.0.1:${port}/to-metadata`, {
        redirect: "follow",
        addresses: { allowPrivate: true },
      }),
    );
    expect(reason).toMatch(/169\.254\.169\.254 is a link-local address/);
    expect(hits).toContain("/to-metadata");
  });
});
