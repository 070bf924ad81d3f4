import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  AgentNetworkError,
  AgentProtocolError,
  AgentRequestError,
  AgentServerError,
  AgentUnauthorizedError,
  createAgentClient,
  enrollAgent,
  StaleLeaseError,
} from "./client";
import { agentEndpointPath, agentEndpoints } from "./endpoints";
import { generateAgentKeyPair, hashBody, importAgentPublicKey, verifyAgentRequest } from "./signing";

// A scripted HTTP server on loopback: each test sets how the next request is answered.
type Handler = (req: IncomingMessage, body: string, res: ServerResponse) => void | Promise<void>;
let handler: Handler = (_req, _body, res) => {
  res.end();
};
let server: Server;
let baseUrl: string;
const pair = generateAgentKeyPair();
const hostId = "0f8fad5b-d9cb-469f-a165-70867728950e";

function json(res: ServerResponse, status: number, body: unknown) {
  res.writeHead(status, { "content-type": "application/json" });
  res.end(JSON.stringify(body));
}

beforeAll(async () => {
  server = createServer((req, res) => {
    let body = "";
    req.on("data", (chunk) => {
      body += chunk;
    });
    req.on("end", () => void handler(req, body, res));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/prefix`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

describe("agent client", () => {
  const client = () => createAgentClient({ baseUrl, hostId, privateKey: pair.privateKeyPem });

  it("signs each request for its exact method, path and body", async () => {
    let verifiedHost = "";
    handler = async (req, body, res) => {
      const token = (req.headers.authorization ?? "").replace(/^Bearer /, "");
      const verified = await verifyAgentRequest(token, {
        publicKey: importAgentPublicKey(pair.publicKey),
        method: req.method!,
        path: req.url!,
        bodyHash: hashBody(body),
      });
      verifiedHost = verified.hostId;
      expect(req.url).toBe("/prefix/api/agent/v1/poll");
      expect(req.headers["x-capstan-protocol"]).toBe("1");
      json(res, 200, { job: null, serverTime: new Date().toISOString() });
    };
    const answer = await client().poll({ waitSeconds: 0 });
    expect(answer.job).toBeNull();
    expect(verifiedHost).toBe(hostId);
  });

  it("maps 401 to AgentUnauthorizedError with the revoked reason", async () => {
    handler = (_req, _body, res) =>
      json(res, 401, { error: { code: "UNAUTHENTICATED", message: "revoked", reason: "HOST_REVOKED" } });
    const error = await client()
      .heartbeat({ agentVersion: "1", services: [] })
      .catch((e) => e);
    expect(error).toBeInstanceOf(AgentUnauthorizedError);
    expect(error.revoked).toBe(true);
    expect(error.retryable).toBe(false);
  });

  it("maps 409 on a job call to StaleLeaseError", async () => {
    handler = (_req, _body, res) =>
      json(res, 409, { error: { code: "CONFLICT", message: "stale", reason: "STALE_LEASE" } });
    const error = await client()
      .renewLease("2c3d4e5f-0000-4000-8000-000000000000", { leaseId: "2c3d4e5f-0000-4000-8000-000000000001" })
      .catch((e) => e);
    expect(error).toBeInstanceOf(StaleLeaseError);
    expect(error.reason).toBe("STALE_LEASE");
  });

  it("maps 5xx, 429 and 408 to retryable AgentServerError, other 4xx to AgentRequestError", async () => {
    handler = (_req, _body, res) => {
      res.writeHead(502);
      res.end("<html>bad gateway</html>");
    };
    const e5 = await client()
      .heartbeat({ agentVersion: "1", services: [] })
      .catch((e) => e);
    expect(e5).toBeInstanceOf(AgentServerError);
    expect(e5.retryable).toBe(true);
    handler = (_req, _body, res) => {
      res.writeHead(429, { "retry-after": "7", "content-type": "application/json" });
      res.end(JSON.stringify({ error: { code: "RATE_LIMITED", message: "slow down" } }));
    };
    const e429 = await client()
      .heartbeat({ agentVersion: "1", services: [] })
      .catch((e) => e);
    expect(e429).toBeInstanceOf(AgentServerError);
    expect(e429.retryAfterMs).toBe(7000);
    // Node's headers timeout (or a proxy's) under a reconnect storm: the request may be repeated.
    handler = (_req, _body, res) => {
      res.writeHead(408);
      res.end();
    };
    const e408 = await client()
      .heartbeat({ agentVersion: "1", services: [] })
      .catch((e) => e);
    expect([e408 instanceof AgentServerError, e408.retryable]).toEqual([true, true]);
    handler = (_req, _body, res) => json(res, 400, { error: { code: "BAD_REQUEST", message: "bad" } });
    const e4 = await client()
      .heartbeat({ agentVersion: "1", services: [] })
      .catch((e) => e);
    expect(e4).toBeInstanceOf(AgentRequestError);
    expect(e4.retryable).toBe(false);
  });

  it("refuses an answer that does not match the schema", async () => {
    handler = (_req, _body, res) => json(res, 200, { job: "nope" });
    await expect(client().poll({ waitSeconds: 0 })).rejects.toBeInstanceOf(AgentProtocolError);
  });

  it("reports a refused connection as a retryable AgentNetworkError", async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, "127.0.0.1", resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const c = createAgentClient({
      baseUrl: `http://127.0.0.1:${port}`,
      hostId,
      privateKey: pair.privateKeyPem,
    });
    const error = await c.heartbeat({ agentVersion: "1", services: [] }).catch((e) => e);
    expect(error).toBeInstanceOf(AgentNetworkError);
    expect(error.retryable).toBe(true);
  });

  it("enrolls without a signature and validates the answer", async () => {
    handler = (req, body, res) => {
      expect(req.headers.authorization).toBeUndefined();
      expect(JSON.parse(body).publicKey).toBe(pair.publicKey);
      json(res, 200, {
        hostId,
        teamId: hostId,
        hostName: "web-1",
        status: "PENDING",
        labels: { role: "web" },
        heartbeatIntervalSeconds: 15,
        pollWaitSeconds: 25,
      });
    };
    const answer = await enrollAgent(baseUrl, {
      token: "cst_enr_abcdefghijklmnopqrstuvwxyz",
      publicKey: pair.publicKey,
      facts: { hostname: "web-1", arch: "x64" },
      agentVersion: "0.1.0",
    });
    expect(answer.hostName).toBe("web-1");
  });

  it("has one method per signed endpoint of the table, each signing the exact path it sends", async () => {
    const signed = Object.entries(agentEndpoints)
      .filter(([, endpoint]) => endpoint.signed)
      .map(([name]) => name);
    expect(Object.keys(client()).sort()).toEqual(signed.sort());

    const seen: string[] = [];
    const sha256 = "a".repeat(64);
    handler = async (req, body, res) => {
      const token = (req.headers.authorization ?? "").replace(/^Bearer /, "");
      await verifyAgentRequest(token, {
        publicKey: importAgentPublicKey(pair.publicKey),
        method: req.method!,
        path: req.url!,
        bodyHash: hashBody(body),
      });
      seen.push(`${req.method} ${req.url}`);
      if (req.method === "GET") {
        res.writeHead(200, { "x-capstan-sha256": sha256, "content-length": "2" });
        res.end("ok");
      } else
        json(res, 200, { leaseExpiresAt: new Date().toISOString(), serverTime: new Date().toISOString() });
    };
    // A parameter that is not a plain segment is escaped, never allowed to add one.
    await client().renewLease("a/../b", { leaseId: "2c3d4e5f-0000-4000-8000-000000000001" });
    const download = await client().downloadArtifact("app.tar.gz", { sha256 });
    expect(download.sha256).toBe(sha256);
    const bundle = await client().downloadBundle(sha256, { signal: new AbortController().signal });
    expect(bundle.sha256).toBe(sha256);
    // The signal alone works too; an aborted one stops the call.
    expect((await client().downloadBundle(sha256, new AbortController().signal)).sha256).toBe(sha256);
    await expect(client().downloadBundle(sha256, AbortSignal.abort())).rejects.toThrow(/abort/i);
    expect(seen).toEqual([
      "POST /prefix/api/agent/v1/jobs/a%2F..%2Fb/lease",
      `GET /prefix/api/agent/v1/artifacts/app.tar.gz?sha256=${sha256}`,
      `GET /prefix/api/agent/v1/bundles/${sha256}`,
      `GET /prefix/api/agent/v1/bundles/${sha256}`,
    ]);
  });

  it("refuses path parameters that would be dot segments", () => {
    expect(() => agentEndpointPath(agentEndpoints.renewLease, { jobId: ".." })).toThrow(
      /invalid path parameter/,
    );
    expect(() => agentEndpointPath(agentEndpoints.downloadArtifact, { name: "." })).toThrow();
    expect(agentEndpointPath(agentEndpoints.renewLease, { jobId: "x" })).toBe("/api/agent/v1/jobs/x/lease");
  });
});
