// A real ACME server on loopback for ingress tests: Debian's `pebble` with `pebble-challtestsrv` as
// its DNS (every name resolves to 127.0.0.1). Each call gets its own random ports, and Pebble
// validates HTTP-01 and TLS-ALPN-01 on the ports the test's Caddy listens on, so tests run in
// parallel without touching ports 80/443.
import { type ChildProcess, spawn } from "node:child_process";
import { writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import { waitFor } from "./docker-cli";
import { makeTestCertificate } from "./tls";

export const PEBBLE = "/usr/bin/pebble";
export const PEBBLE_CHALLTESTSRV = "/usr/bin/pebble-challtestsrv";

/** A port free right now on 127.0.0.1 (the kernel's choice). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

export interface Pebble {
  directory: string;
  /** The challenge test server's DNS ("127.0.0.1:<port>"): every name resolves to 127.0.0.1. */
  dnsServer: string;
  /** PEM file of Pebble's own HTTPS listener (what an ACME client must trust to talk to it). */
  listenerCaFile: string;
  /** PEM of the root that signs the certificates Pebble issues. */
  issuedRoot: () => Promise<string>;
  stop: () => Promise<void>;
  log: () => string;
}

function startLogged(
  program: string,
  args: string[],
  env: Record<string, string>,
  log: string[],
): ChildProcess {
  const child = spawn(program, args, {
    // Only these variables (cast: Next's types make NODE_ENV required in ProcessEnv).
    env: { PATH: process.env.PATH ?? "/usr/bin:/bin", ...env } as Record<string, string> as NodeJS.ProcessEnv,
    stdio: ["ignore", "pipe", "pipe"],
  });
  const keep = (c: Buffer) => log.push(c.toString("utf8"));
  child.stdout?.on("data", keep);
  child.stderr?.on("data", keep);
  return child;
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once("exit", resolve));
  child.kill("SIGTERM");
  await exited;
}

/** Starts Pebble whose validation authority dials `httpPort` (HTTP-01) and `tlsPort` (TLS-ALPN-01). */
export async function startPebble(
  dir: string,
  ports: { httpPort: number; tlsPort: number },
  /** Require external account binding with this key id and base64url HMAC key. */
  eab?: { keyId: string; macKey: string },
  /** How long issued certificates are valid, in seconds (short ones make Caddy renew soon). */
  validitySeconds?: number,
): Promise<Pebble> {
  const [dnsPort, managementPort, acmePort, pebbleManagementPort] = [
    await freePort(),
    await freePort(),
    await freePort(),
    await freePort(),
  ];
  const log: string[] = [];
  const dns = startLogged(
    PEBBLE_CHALLTESTSRV,
    // biome-ignore format: flags read best in pairs
    ["-defaultIPv4", "127.0.0.1", "-defaultIPv6", "", "-dns01", `127.0.0.1:${dnsPort}`, "-http01", "",
      "-https01", "", "-tlsalpn01", "", "-management", `127.0.0.1:${managementPort}`],
    {},
    log,
  );
  const cert = makeTestCertificate(dir, "pebble");
  writeFileSync(join(dir, "pebble.key"), cert.key, { mode: 0o600 });
  const config = join(dir, "pebble.json");
  writeFileSync(
    config,
    JSON.stringify({
      pebble: {
        listenAddress: `127.0.0.1:${acmePort}`,
        managementListenAddress: `127.0.0.1:${pebbleManagementPort}`,
        certificate: cert.certFile,
        privateKey: join(dir, "pebble.key"),
        httpPort: ports.httpPort,
        tlsPort: ports.tlsPort,
        ocspResponderURL: "",
        externalAccountBindingRequired: Boolean(eab),
        ...(eab ? { externalAccountMACKeys: { [eab.keyId]: eab.macKey } } : {}),
        ...(validitySeconds ? { certificateValidityPeriod: validitySeconds } : {}),
      },
    }),
  );
  // NOSLEEP: validate at once; NONCEREJECT=0: no deliberately bad nonces (only slows the test).
  const pebble = startLogged(
    PEBBLE,
    ["-config", config, "-dnsserver", `127.0.0.1:${dnsPort}`],
    {
      PEBBLE_VA_NOSLEEP: "1",
      PEBBLE_WFE_NONCEREJECT: "0",
    },
    log,
  );
  const stop = async () => {
    await stopChild(pebble);
    await stopChild(dns);
  };
  const directory = `https://127.0.0.1:${acmePort}/dir`;
  const get = async (url: string) => {
    // Pebble's listener uses the self-made certificate; Node trusts it through `ca`.
    const { request } = await import("node:https");
    return new Promise<{ status: number; body: string }>((resolve, reject) => {
      request(url, { ca: cert.cert, timeout: 5000 }, (res) => {
        let body = "";
        res.on("data", (c) => {
          body += c;
        });
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
      })
        .on("error", reject)
        .end();
    });
  };
  try {
    await waitFor("pebble's ACME directory", async () => (await get(directory)).status === 200, {
      timeoutMs: 30_000,
      context: () => log.join("").slice(-2000),
    });
  } catch (error) {
    await stop();
    throw error;
  }
  return {
    directory,
    dnsServer: `127.0.0.1:${dnsPort}`,
    listenerCaFile: cert.certFile,
    issuedRoot: async () => (await get(`https://127.0.0.1:${pebbleManagementPort}/roots/0`)).body,
    stop,
    log: () => log.join(""),
  };
}
