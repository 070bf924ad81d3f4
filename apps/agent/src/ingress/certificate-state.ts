// What the ingress knows about each routed name's certificate, from what Caddy keeps: the
// certificates in its storage (<state>/ingress/data/certificates/<issuer>/<name>/<name>.crt,
// parsed with node:crypto) and the issuance attempts in its TLS log (tls.log: one JSON object
// a line, written by Caddy itself, see tlsLogging). Read-only: the agent never writes there.
import { X509Certificate } from "node:crypto";
import { closeSync, existsSync, openSync, readdirSync, readFileSync, readSync, statSync } from "node:fs";
import { join } from "node:path";
import { CERTIFICATE_NAME_PATTERN, type CertificateReport } from "@capstan/protocol";
import type { RoutedName } from "./ingress";

/** Caddy's log of certificate issuance and renewal only, as JSON lines in a size-capped file. */
export function tlsLogging(file: string): Record<string, unknown> {
  return {
    logs: {
      capstan_tls: {
        writer: { output: "file", filename: file, roll_size_mb: 5, roll_keep: 1 },
        encoder: { format: "json" },
        include: ["tls.obtain", "tls.renew"],
      },
    },
  };
}

interface StoredCertificate {
  issuer: string;
  notBefore: Date;
  notAfter: Date;
  serial: string;
}

/** The stored certificate of `name` valid the longest (one folder per issuer Caddy used). */
export function storedCertificate(storageDir: string, name: string): StoredCertificate | undefined {
  const root = join(storageDir, "certificates");
  if (!existsSync(root)) return undefined;
  let best: StoredCertificate | undefined;
  for (const issuerDir of readdirSync(root)) {
    const file = join(root, issuerDir, name, `${name}.crt`);
    if (!existsSync(file)) continue;
    try {
      // The first PEM block of the bundle is the leaf.
      const cert = new X509Certificate(readFileSync(file));
      const found = {
        issuer: commonName(cert.issuer),
        notBefore: new Date(cert.validFrom),
        notAfter: new Date(cert.validTo),
        serial: cert.serialNumber.toUpperCase().replace(/^0+(?=.)/, ""),
      };
      if (!best || found.notAfter > best.notAfter) best = found;
    } catch {
      // A half-written or foreign file: Caddy will write it again.
    }
  }
  return best;
}

function commonName(dn: string): string {
  return (/^CN=(.*)$/m.exec(dn)?.[1] ?? dn.split("\n").join(", ")).slice(0, 256);
}

interface Attempt {
  error?: string;
  at?: Date;
  retryAt?: Date;
}

const TAIL_BYTES = 1024 * 1024;

function tail(file: string): string {
  if (!existsSync(file)) return "";
  const size = statSync(file).size;
  const length = Math.min(size, TAIL_BYTES);
  const buffer = Buffer.alloc(length);
  const fd = openSync(file, "r");
  try {
    readSync(fd, buffer, 0, length, size - length);
  } finally {
    closeSync(fd);
  }
  return buffer.toString("utf8");
}

/**
 * The last failed attempt per name since its last success. Caddy logs "could not get certificate
 * from issuer" (with `identifier`) for each failure and "will retry" (the name only in brackets at
 * the start of `error`, with `retrying_in` seconds) when it backs off.
 */
export function lastAttempts(logFile: string): Map<string, Attempt> {
  const out = new Map<string, Attempt>();
  for (const line of tail(logFile).split("\n")) {
    if (!line.startsWith("{")) continue;
    let entry: Record<string, unknown>;
    try {
      entry = JSON.parse(line);
    } catch {
      continue;
    }
    const msg = String(entry.msg ?? "");
    const at = typeof entry.ts === "number" ? new Date(entry.ts * 1000) : undefined;
    const error = typeof entry.error === "string" ? entry.error : undefined;
    const name =
      typeof entry.identifier === "string"
        ? entry.identifier
        : (/^\[([^\]\s]{1,253})\]/.exec(error ?? "")?.[1] ?? "");
    if (!CERTIFICATE_NAME_PATTERN.test(name)) continue;
    if (/obtained successfully|renewed successfully/.test(msg)) out.delete(name);
    else if (msg === "will retry" && typeof entry.retrying_in === "number" && at) {
      const prev = out.get(name) ?? {};
      out.set(name, {
        error: prev.error ?? error,
        at: prev.at ?? at,
        retryAt: new Date(at.getTime() + entry.retrying_in * 1000),
      });
    } else if (error && entry.level === "error") out.set(name, { error, at });
  }
  return out;
}

/** One report per name, in the order given. */
export function certificateReports(
  names: RoutedName[],
  paths: { storage: string; tlsLog: string },
  now = new Date(),
): CertificateReport[] {
  const attempts = lastAttempts(paths.tlsLog);
  return names
    .filter((n) => CERTIFICATE_NAME_PATTERN.test(n.name))
    .slice(0, 500)
    .map(({ name, workflow, service }) => {
      const cert = storedCertificate(paths.storage, name);
      const attempt = attempts.get(name);
      const status: CertificateReport["status"] =
        cert && cert.notAfter > now ? "valid" : attempt?.error ? "failed" : cert ? "expired" : "pending";
      return {
        name,
        workflow,
        service,
        status,
        ...(cert
          ? {
              issuer: cert.issuer,
              notBefore: cert.notBefore.toISOString(),
              notAfter: cert.notAfter.toISOString(),
              serial: cert.serial.slice(0, 128),
            }
          : {}),
        ...(attempt?.error
          ? {
              lastError: attempt.error.slice(0, 1024),
              ...(attempt.at ? { lastErrorAt: attempt.at.toISOString() } : {}),
              ...(attempt.retryAt ? { retryAt: attempt.retryAt.toISOString() } : {}),
            }
          : {}),
      };
    });
}

/**
 * The `certificates` field of heartbeats: sent when a report changed, and once a day anyway so
 * the control plane judges expiry as time passes. Hosts without routes send nothing.
 */
export class CertificateReporter {
  private lastSent = "";

  constructor(
    private readonly names: () => RoutedName[],
    private readonly paths: { storage: string; tlsLog: string },
  ) {}

  changed(now = new Date()): { reports?: CertificateReport[]; accepted(): void } {
    let reports: CertificateReport[];
    try {
      reports = certificateReports(this.names(), this.paths, now);
    } catch {
      return { accepted: () => undefined };
    }
    const json = JSON.stringify(reports);
    const key = `${now.toISOString().slice(0, 10)}${json}`;
    // Nothing routed and nothing (or an empty list) sent before: nothing to say.
    const quiet = json === "[]" && (this.lastSent === "" || this.lastSent.endsWith("[]"));
    if (key === this.lastSent || quiet) return { accepted: () => undefined };
    return {
      reports,
      accepted: () => {
        this.lastSent = key;
      },
    };
  }
}
