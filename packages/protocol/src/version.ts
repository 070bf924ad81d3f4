// The agent protocol is versioned separately from the app: agents are upgraded slowly, so the
// control plane keeps answering older majors for a while. v1 is the only one so far.
export const PROTOCOL_VERSION = "1";
export const PROTOCOL_VERSION_HEADER = "x-capstan-protocol";
export const AGENT_API_PREFIX = "/api/agent/v1";
/** Header carrying the sha256 (hex) of downloads, so the agent can check what it received. */
export const SHA256_HEADER = "x-capstan-sha256";
