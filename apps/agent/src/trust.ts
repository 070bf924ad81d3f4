// The agent talks to its control plane only (docs/dev/agent-protocol.md, "Trust"):
//   - `http://` only to a loopback control plane;
//   - an optional pin (CAPSTAN_PIN, sha256 of the control plane's SubjectPublicKeyInfo) checked on
//     every TLS connection to it, enrollment and downloads included;
//   - the control plane's Ed25519 key, learned at enrollment, must have signed every job and
//     upgrade order before anything runs or is downloaded.
// Agents enrolled before they learned the key at enrollment trust the first key a heartbeat
// answer carries (over the channel they already use), and say so loudly once.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import {
  type AgentClient,
  type AgentUpgradeOrder,
  ControlPlaneSignatureError,
  controlPlaneKeyFingerprint,
  controlPlaneKeySchema,
  type HostPruneOrder,
  type JobAssignment,
  type SignedPurpose,
  signedPurposeLabel,
  verifyForHost,
} from "@capstan/protocol";
import { CertificatePinError, PIN_PATTERN } from "@capstan/protocol/net/certificate-pin";
import { agentFetch, liteFetch } from "@capstan/protocol/net/lite-fetch";
import type { Logger } from "./log";
import { writeFileAtomic } from "./state";

/** `sha256:<hex>`; hex may be upper-case or colon-separated (as `openssl` prints it). */
export function normalizePin(value: string): string | null {
  const match = /^sha256:([0-9A-Fa-f:]+)$/.exec(value.trim());
  const pin = match ? `sha256:${match[1]!.replaceAll(":", "").toLowerCase()}` : "";
  return PIN_PATTERN.test(pin) ? pin : null;
}

const LOOPBACK_HOSTS = /^(localhost|127(\.\d{1,3}){3}|\[::1\])$/i;

/** What is wrong with this control-plane URL (and how to fix it), or null. */
export function controlPlaneUrlProblem(url: string, pin: string | undefined): string | null {
  const parsed = new URL(url);
  if (parsed.protocol === "http:" && !LOOPBACK_HOSTS.test(parsed.hostname)) {
    return `CAPSTAN_URL ${url} uses http:// to a host that is not loopback: anyone on the path could send this host jobs. Use https://${parsed.host}${parsed.pathname === "/" ? "" : parsed.pathname} (http:// is allowed only for localhost, 127.0.0.0/8 and [::1])`;
  }
  if (pin && parsed.protocol !== "https:") {
    return `CAPSTAN_PIN is set but CAPSTAN_URL ${url} is not https://: a pin needs TLS. Use an https:// URL or remove CAPSTAN_PIN`;
  }
  return null;
}

/** Every request to the control plane goes through this: pinned when a pin is configured. */
export function controlPlaneFetch(pin: string | undefined, log: Logger): typeof fetch {
  if (!pin) return agentFetch;
  const pinned = (input: string | URL, init: Parameters<typeof liteFetch>[1] = {}) =>
    liteFetch(input, { ...init, pin }).catch((error: unknown) => {
      if (error instanceof CertificatePinError) log.error({ pin }, `${error.message}; nothing was sent`);
      throw error;
    });
  return pinned as unknown as typeof fetch;
}

interface KeyRecord {
  /** null: enrolled by an agent that knows about signatures, but the control plane sent no key. */
  publicKey: string | null;
  learnedAt: string;
  via: "enrollment" | "heartbeat";
}

const keyPath = (stateDir: string) => join(stateDir, "control-plane.json");

function readKeyRecord(stateDir: string): KeyRecord | undefined {
  try {
    return JSON.parse(readFileSync(keyPath(stateDir), "utf8")) as KeyRecord;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw error;
  }
}

function writeKeyRecord(stateDir: string, record: KeyRecord): void {
  writeFileAtomic(keyPath(stateDir), `${JSON.stringify(record, null, 2)}\n`, 0o600);
}

/**
 * Called at enrollment, before the identity is saved: a crash in between must not leave an
 * identity without this record, which would read as an agent enrolled before signatures existed.
 */
export function rememberEnrollmentKey(stateDir: string, publicKey: string | undefined, log: Logger): void {
  const valid = publicKey !== undefined && controlPlaneKeySchema.safeParse(publicKey).success;
  writeKeyRecord(stateDir, {
    publicKey: valid ? publicKey : null,
    learnedAt: new Date().toISOString(),
    via: "enrollment",
  });
  if (valid)
    log.info({ key: controlPlaneKeyFingerprint(publicKey) }, "learned the control plane's signing key");
  else
    log.error(
      "the control plane sent no signing key at enrollment: every job and upgrade will be refused. Upgrade the control plane, then enroll this host again",
    );
}

export class ControlPlaneTrust {
  private record: KeyRecord | undefined;
  /** Lease ids already accepted: the same signed assignment is never run twice. */
  private readonly seenLeases = new Set<string>();
  private warnedOtherKey = false;

  constructor(
    private readonly deps: { stateDir: string; hostId: string; log: Logger; client?: AgentClient },
  ) {
    this.record = readKeyRecord(deps.stateDir);
  }

  /**
   * The one check before a job runs or an upgrade is downloaded. False means refused: it is
   * logged, and a refused job is reported as failed without running anything.
   */
  accept(purpose: SignedPurpose, message: JobAssignment | AgentUpgradeOrder | HostPruneOrder): boolean {
    const what = signedPurposeLabel(purpose);
    try {
      const publicKey = this.record?.publicKey;
      if (!publicKey) {
        throw new ControlPlaneSignatureError(
          "NO_KEY",
          this.record
            ? "this host never learned the control plane's signing key; enroll it again"
            : "the control plane's signing key is not known yet (it comes with the next heartbeat)",
        );
      }
      verifyForHost(message, { purpose, hostId: this.deps.hostId, publicKey });
      if (purpose === "job-assignment") {
        const { leaseId } = message as JobAssignment;
        if (this.seenLeases.has(leaseId))
          throw new ControlPlaneSignatureError(
            "BAD_SIGNATURE",
            `lease ${leaseId} was already run (a replay)`,
          );
        if (this.seenLeases.size > 1000) this.seenLeases.clear();
        this.seenLeases.add(leaseId);
      }
      return true;
    } catch (error) {
      if (!(error instanceof ControlPlaneSignatureError)) throw error;
      this.deps.log.error(
        { id: message.id, reason: error.reason },
        `refused a ${what}: ${error.message}; nothing runs`,
      );
      if (purpose === "job-assignment") this.reportRefusal(message as JobAssignment, error.message);
      return false;
    }
  }

  /** Trust on first use for agents enrolled before enrollment handed out the key. */
  learnFromHeartbeat(publicKey: string | undefined): void {
    if (!publicKey || !controlPlaneKeySchema.safeParse(publicKey).success) return;
    if (this.record) {
      if (this.record.publicKey && publicKey !== this.record.publicKey && !this.warnedOtherKey) {
        this.warnedOtherKey = true;
        this.deps.log.warn(
          {
            trusted: controlPlaneKeyFingerprint(this.record.publicKey),
            offered: controlPlaneKeyFingerprint(publicKey),
          },
          "the control plane now presents another signing key; this host keeps the one it learned and refuses jobs signed with any other. If the control plane's key was replaced on purpose, enroll this host again",
        );
      }
      return;
    }
    this.record = { publicKey, learnedAt: new Date().toISOString(), via: "heartbeat" };
    writeKeyRecord(this.deps.stateDir, this.record);
    this.deps.log.warn(
      { key: controlPlaneKeyFingerprint(publicKey), file: keyPath(this.deps.stateDir) },
      "TRUST ON FIRST USE: this host was enrolled before agents learned the control plane's signing key at enrollment; it now trusts the key from this heartbeat answer for every later job and upgrade. Compare the fingerprint with the one in the control plane's docs/dev/agent-protocol.md recipe, or enroll the host again",
    );
  }

  private reportRefusal(job: JobAssignment, reason: string): void {
    // Best effort: the real control plane then shows why instead of waiting for the lease to
    // expire; a forged one learns nothing it did not send.
    this.deps.client
      ?.completeJob(job.id, {
        leaseId: job.leaseId,
        state: "FAILED",
        error: `the agent refused this job: ${reason}. Nothing ran.`.slice(0, 4096),
        services: job.services.map((s) => ({ service: s.name, state: "SKIPPED" as const })),
        release: null,
      })
      .catch(() => undefined);
  }
}
