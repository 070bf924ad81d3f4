// HTTP health checks run on the host; they must not become a way to read a cloud metadata service
// (169.254.169.254 answers with instance credentials), directly or by a redirect.
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type CommandSandbox, runHealthCheck } from "./health";

const noCommands: CommandSandbox = () => Promise.reject(new Error("no command checks here"));

describe("HTTP health checks and link-local addresses", () => {
  let server: Server;
  let base: string;
  const hits: string[] = [];

  beforeAll(async () => {
    server = createServer((req, res) => {
      hits.push(req.url ?? "");
      if (req.url === "/redirect")
        res.writeHead(302, { location: "http://169.254.169.254/latest/meta-data/" });
      else res.writeHead(200);
      res.end("ok");
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  it("refuses the metadata address before connecting, naming why", async () => {
    for (const url of ["http://169.254.169.254/latest/meta-data/", "http://[::ffff:169.254.169.254]/"]) {
      const result = await runHealthCheck({ http: { url, expectStatus: 200 } }, noCommands);
      expect(result.ok).toBe(false);
      expect(result.detail).toMatch(/link-local/);
    }
  });

  it("does not follow a redirect to it, and still checks services on loopback", async () => {
    const redirected = await runHealthCheck(
      { http: { url: `${base}/redirect`, expectStatus: 200 } },
      noCommands,
    );
    expect(redirected).toEqual({ ok: false, detail: `GET ${base}/redirect -> 302, expected 200` });
    const healthy = await runHealthCheck({ http: { url: `${base}/health`, expectStatus: 200 } }, noCommands);
    expect(healthy.ok).toBe(true);
    expect(hits).toEqual(["/redirect", "/health"]);
  });
});
