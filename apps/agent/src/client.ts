// The agent's side of the protocol: enrollment on first start, then a signed client built from
// the stored identity. The HTTP contract itself lives in @capstan/protocol.
import {
  type AgentClient,
  createAgentClient,
  enrollAgent,
  generateAgentKeyPair,
  type HostFacts,
} from "@capstan/protocol";
import { type AgentConfig, removeEnrollmentToken } from "./config";
import type { Logger } from "./log";
import type { HostIdentity, StateStore } from "./state";
import { controlPlaneFetch, rememberEnrollmentKey } from "./trust";
import { AGENT_VERSION } from "./version";

export class NotEnrolledError extends Error {
  override name = "NotEnrolledError";
}

/** Protocol host names have no dots; the config allows them (web-1.eu), so map them. */
function protocolHostName(name: string): string | undefined {
  const mapped = name.replace(/\./g, "-").slice(0, 63);
  return /^[a-z0-9][a-z0-9-]{0,62}$/.test(mapped) ? mapped : undefined;
}

/**
 * Makes sure this host has an identity: an existing one is kept (re-installs keep the host); with
 * none, a key pair is generated, the token is spent and then removed from the config file.
 */
export async function ensureEnrolled(
  config: AgentConfig,
  state: StateStore,
  facts: () => Promise<HostFacts>,
  log: Logger,
  signal?: AbortSignal,
): Promise<HostIdentity> {
  const existing = state.loadIdentity();
  if (existing && state.loadKey()) {
    if (config.enrollmentToken) {
      log.warn("already enrolled; ignoring the enrollment token in the config and removing it");
      removeEnrollmentToken(config.configFile);
    }
    return existing;
  }
  if (!config.enrollmentToken) {
    throw new NotEnrolledError(
      `this host is not enrolled: put CAPSTAN_ENROLLMENT_TOKEN=<token> in ${config.configFile} (create a token in the dashboard: Hosts -> Add host)`,
    );
  }
  // The key is written before the token is spent, so a crash in between loses only the token.
  const key = state.loadKey() ?? saveNewKey(state);
  log.info({ url: config.url }, "enrolling this host with the control plane");
  const response = await enrollAgent(
    config.url,
    {
      token: config.enrollmentToken,
      publicKey: key.publicKey,
      hostName: protocolHostName(config.hostName),
      facts: await facts(),
      agentVersion: AGENT_VERSION,
    },
    { signal, userAgent: `capstan-agent/${AGENT_VERSION}`, fetch: controlPlaneFetch(config.pin, log) },
  );
  const identity: HostIdentity = {
    hostId: response.hostId,
    teamId: response.teamId,
    hostName: response.hostName,
    url: config.url,
    enrolledAt: new Date().toISOString(),
  };
  rememberEnrollmentKey(state.dir, response.controlPlaneKey, log);
  state.saveIdentity(identity);
  removeEnrollmentToken(config.configFile);
  log.info(
    { hostId: identity.hostId, hostName: identity.hostName },
    "enrolled; the token was removed from the config",
  );
  return identity;
}

function saveNewKey(state: StateStore) {
  const pair = generateAgentKeyPair();
  state.saveKey(pair.privateKeyPem, pair.publicKey);
  return pair;
}

export function createClient(
  config: AgentConfig,
  state: StateStore,
  identity: HostIdentity,
  log: Logger,
): AgentClient {
  const key = state.loadKey();
  if (!key) throw new NotEnrolledError(`the host key ${state.keyPath} is missing; re-enroll this host`);
  return createAgentClient({
    baseUrl: config.url,
    hostId: identity.hostId,
    privateKey: key.privateKeyPem,
    userAgent: `capstan-agent/${AGENT_VERSION}`,
    fetch: controlPlaneFetch(config.pin, log),
  });
}
