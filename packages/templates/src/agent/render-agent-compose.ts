// Container mode: the agent as a Compose service on hosts where it should not be installed with
// systemd. It manages Compose stacks only (no systemd services) through the host's Docker socket,
// and uses the host network so health checks on 127.0.0.1 reach published ports.
import { renderComposeDocument } from "../compose/render-compose-project";
import { HOST_NAME_PATTERN } from "../workflow/spec";

/** As the agent accepts it (apps/agent/src/config.ts). */
export const ENROLLMENT_TOKEN_PATTERN = /^[A-Za-z0-9_.~-]{8,512}$/;

export interface RenderAgentComposeInput {
  url: string;
  image: string;
  hostName?: string;
  /** Put in the .env file next to the Compose file, never in the Compose file itself. */
  enrollmentToken?: string;
}

export function renderAgentCompose(input: RenderAgentComposeInput): { compose: string; env: string } {
  if (!/^https?:\/\/[^\s'"`$\\]+$/.test(input.url)) throw new Error("url must be an http(s) URL");
  if (!/^[A-Za-z0-9][A-Za-z0-9._/:@-]{0,254}$/.test(input.image))
    throw new Error("image must be an image reference");
  if (input.hostName !== undefined && !HOST_NAME_PATTERN.test(input.hostName))
    throw new Error("invalid host name");
  const environment: Record<string, string> = {
    CAPSTAN_URL: input.url.replaceAll("$", "$$"),
    CAPSTAN_ENROLLMENT_TOKEN: "${CAPSTAN_ENROLLMENT_TOKEN:-}",
  };
  if (input.hostName) environment.CAPSTAN_HOST_NAME = input.hostName;
  const compose = renderComposeDocument({
    services: {
      "capstan-agent": {
        image: input.image,
        restart: "unless-stopped",
        network_mode: "host",
        environment,
        volumes: ["/var/run/docker.sock:/var/run/docker.sock", "capstan-agent-state:/var/lib/capstan"],
        labels: { "dev.capstan.role": "agent" },
      },
    },
    volumes: { "capstan-agent-state": {} },
  });
  if (input.enrollmentToken !== undefined && !ENROLLMENT_TOKEN_PATTERN.test(input.enrollmentToken))
    throw new Error("invalid enrollment token");
  // The token pattern leaves nothing to quote; single quotes keep both Compose versions literal.
  const env = input.enrollmentToken ? `CAPSTAN_ENROLLMENT_TOKEN='${input.enrollmentToken}'\n` : "";
  return { compose: `# Capstan agent in container mode: docker compose up -d\n${compose}`, env };
}
