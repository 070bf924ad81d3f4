// The agent's state directory: its identity (Ed25519 key, host id), the services it manages and
// the jobs it is working on. Small JSON files, written atomically (temp file + fsync + rename).
import {
  chmodSync,
  closeSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeSync,
} from "node:fs";
import { dirname, join } from "node:path";
import type { HealthCheck, ServiceKind } from "@capstan/templates";
import { assertName } from "./names";

export interface HostIdentity {
  hostId: string;
  teamId: string;
  hostName: string;
  url: string;
  enrolledAt: string;
}

export interface KeyMaterial {
  privateKeyPem: string;
  /** base64 of the SPKI DER, as the control plane stores it. */
  publicKey: string;
}

export interface ManagedService {
  workflow: string;
  service: string;
  kind: ServiceKind;
  revisionHash: string;
  releaseId: string;
  /** The release that ran before this one (for rollback), if any. */
  previousReleaseId?: string;
  previousRevisionHash?: string;
  healthChecks: HealthCheck[];
  updatedAt: string;
  /**
   * Stopped on an operator's order (service-action.ts): heartbeats report STOPPED, not a failure,
   * and nothing starts it again until a start, restart or deploy (which rewrites the record).
   */
  stopped?: boolean;
}

/** A job in progress, written before the first change so a restart can reconcile it. */
export interface InflightJob {
  jobId: string;
  leaseId: string;
  workflow: string;
  revisionHash: string;
  releaseId: string;
  services: { name: string; kind: ServiceKind; healthChecks: HealthCheck[] }[];
  startedAt: string;
  /** Highest event sequence number used so far. */
  seq: number;
}

export interface Contact {
  at: string;
  ok: boolean;
  detail?: string;
  services?: { workflow: string; service: string; kind: string; status: string; detail?: string }[];
}

/**
 * Replaces a file in one step: readers see the old or the new content, never a mix. `durable`
 * also fsyncs, so the new content survives a power cut; only records whose loss costs nothing
 * (the last contact, rewritten every heartbeat) skip it.
 */
export function writeFileAtomic(path: string, data: string | Buffer, mode = 0o600, durable = true): void {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const tmp = `${path}.${process.pid}.tmp`;
  const fd = openSync(tmp, "w", mode);
  try {
    try {
      writeSync(fd, typeof data === "string" ? Buffer.from(data) : data);
      if (durable) fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    chmodSync(tmp, mode);
    renameSync(tmp, path);
  } catch (error) {
    // A full disk must not also leave half-written temporary files that keep it full.
    rmSync(tmp, { force: true });
    throw error;
  }
}

function readJson<T>(path: string): T | null {
  try {
    return JSON.parse(readFileSync(path, "utf8")) as T;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return null;
    throw error;
  }
}

export class StateStore {
  constructor(readonly dir: string) {}

  init(): void {
    // 0711: services' release folders below must be reachable by their (dynamic) users, while
    // nobody else can list what is here; the key and the outbox have their own 0600/0700 modes.
    mkdirSync(this.dir, { recursive: true, mode: 0o711 });
    chmodSync(this.dir, 0o711);
    for (const sub of ["services", "jobs"]) mkdirSync(join(this.dir, sub), { recursive: true, mode: 0o700 });
  }

  get keyPath(): string {
    return join(this.dir, "agent.key");
  }
  get outboxDir(): string {
    return join(this.dir, "outbox");
  }
  get composeDir(): string {
    return join(this.dir, "compose");
  }
  get nixDir(): string {
    return join(this.dir, "nix");
  }

  get systemdDir(): string {
    return join(this.dir, "systemd");
  }

  loadKey(): KeyMaterial | null {
    try {
      const privateKeyPem = readFileSync(this.keyPath, "utf8");
      const publicKey = readFileSync(`${this.keyPath}.pub`, "utf8").trim();
      return { privateKeyPem, publicKey };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return null;
      throw error;
    }
  }

  /** Stores the host's Ed25519 key pair; the private key stays in this file (0600). */
  saveKey(privateKeyPem: string, publicKey: string): void {
    writeFileAtomic(this.keyPath, privateKeyPem, 0o600);
    writeFileAtomic(`${this.keyPath}.pub`, `${publicKey}\n`, 0o644);
  }

  loadIdentity(): HostIdentity | null {
    return readJson<HostIdentity>(join(this.dir, "host.json"));
  }

  saveIdentity(identity: HostIdentity): void {
    writeFileAtomic(join(this.dir, "host.json"), `${JSON.stringify(identity, null, 2)}\n`, 0o600);
  }

  private servicePath(workflow: string, service: string): string {
    return join(
      this.dir,
      "services",
      assertName(workflow, "workflow name"),
      `${assertName(service, "service name")}.json`,
    );
  }

  getService(workflow: string, service: string): ManagedService | null {
    return readJson<ManagedService>(this.servicePath(workflow, service));
  }

  saveService(record: ManagedService): void {
    writeFileAtomic(
      this.servicePath(record.workflow, record.service),
      `${JSON.stringify(record, null, 2)}\n`,
    );
  }

  removeService(workflow: string, service: string): void {
    rmSync(this.servicePath(workflow, service), { force: true });
  }

  listServices(): ManagedService[] {
    const root = join(this.dir, "services");
    const out: ManagedService[] = [];
    let workflows: string[] = [];
    try {
      workflows = readdirSync(root);
    } catch {
      return out;
    }
    for (const workflow of workflows.sort()) {
      for (const file of readdirSync(join(root, workflow)).sort()) {
        if (!file.endsWith(".json")) continue;
        const record = readJson<ManagedService>(join(root, workflow, file));
        if (record) out.push(record);
      }
    }
    return out;
  }

  private jobPath(jobId: string): string {
    if (!/^[0-9a-f-]{36}$/.test(jobId)) throw new Error("job id must be a UUID");
    return join(this.dir, "jobs", `${jobId}.json`);
  }

  saveInflight(job: InflightJob): void {
    writeFileAtomic(this.jobPath(job.jobId), JSON.stringify(job));
  }

  removeInflight(jobId: string): void {
    rmSync(this.jobPath(jobId), { force: true });
  }

  listInflight(): InflightJob[] {
    const root = join(this.dir, "jobs");
    try {
      return readdirSync(root)
        .filter((f) => f.endsWith(".json"))
        .map((f) => readJson<InflightJob>(join(root, f)))
        .filter((j): j is InflightJob => j !== null);
    } catch {
      return [];
    }
  }

  /** What `capstan-agent status` shows about the last contact with the control plane. */
  saveContact(contact: Contact): void {
    // Rewritten every heartbeat for `capstan-agent status`: an fsync each time is disk writes and
    // CPU for nothing, since a lost update is replaced 15 s later.
    try {
      writeFileAtomic(join(this.dir, "contact.json"), JSON.stringify(contact), 0o600, false);
    } catch {
      // Only `status` reads it: a full disk must not stop heartbeats (nor crash the agent).
    }
  }

  loadContact(): Contact | null {
    return readJson(join(this.dir, "contact.json"));
  }
}
