// The artifact export: everything a person needs to run or customise a workflow by hand, as a
// map of relative paths to file contents. Files only: nothing is built or started, and no secret
// value is ever included (.env.example lists secret names with empty values).
import { renderComposeDocument } from "../compose/render-compose-project";
import { renderNixUnit } from "../systemd/render-nix-unit";
import { renderSystemdUnit } from "../systemd/render-systemd-unit";
import {
  composeProjectName,
  isComposeService,
  isNixService,
  type ServiceSpec,
  serviceUnitName,
  type WorkflowSpec,
} from "../workflow/spec";
import { exportCertificateDir, publishDomainPorts, renderCaddyfile } from "./render-caddyfile";
import { type DockerfileKind, renderDockerfile, renderDockerignore } from "./render-dockerfile";

export interface ExportFile {
  content: string;
  /** Unix mode, e.g. 0o644. */
  mode: number;
}

export interface RenderExportInput {
  spec: WorkflowSpec;
  /** Service names in dependsOn order (from validation); defaults to the spec's order. */
  order?: string[];
  dockerfile?: DockerfileKind;
}

/** Where exported units expect things; the README tells people to adjust them. */
export const EXPORT_SERVICE_ROOT = "/opt/capstan";
export const EXPORT_ENV_ROOT = "/etc/capstan";

function envExample(service: ServiceSpec): string {
  const lines = ["# Copy to .env and fill in the secret values. Never commit the filled-in file."];
  for (const [k, v] of Object.entries(service.env)) lines.push(`${k}='${v.replaceAll("'", "")}'`);
  for (const name of service.secrets) lines.push(`${name}=`);
  return `${lines.join("\n")}\n`;
}

export function renderExport(input: RenderExportInput): Record<string, ExportFile> {
  const { spec } = input;
  const order = input.order ?? Object.keys(spec.services);
  const files: Record<string, ExportFile> = {};
  const add = (path: string, content: string, mode = 0o644) => {
    files[path] = { content, mode };
  };
  const steps: string[] = [];
  for (const name of order) {
    const service = spec.services[name]!;
    const after = service.dependsOn.length > 0 ? ` (after ${service.dependsOn.join(", ")})` : "";
    if (isComposeService(service)) {
      const dir = `compose/${name}`;
      add(
        `${dir}/compose.yaml`,
        renderComposeDocument(publishDomainPorts(service.compose.inline ?? {}, service.domains)),
      );
      add(`${dir}/.env.example`, envExample(service));
      steps.push(
        `### ${name}: Compose stack${after}\n\n` +
          "```sh\n" +
          `cd ${dir}\ncp .env.example .env && chmod 600 .env   # fill in the values\n` +
          `docker compose --project-name ${composeProjectName(spec.name, name)} up -d --wait\n` +
          "```\n",
      );
    } else {
      const unit = serviceUnitName(spec.name, name);
      const serviceDir = `${EXPORT_SERVICE_ROOT}/${spec.name}/${name}`;
      const envFile = `${EXPORT_ENV_ROOT}/${spec.name}/${name}.env`;
      const paths = { serviceDir, environmentFile: envFile };
      let fetch = "";
      if (isNixService(service)) {
        // The out-link is both the GC root and a stable path for the unit's ExecStart=.
        const packageRoot = `${serviceDir}/result`;
        add(
          `systemd/${unit}`,
          renderNixUnit({ workflow: spec.name, service: name, spec: service, ...paths, packageRoot }),
        );
        fetch =
          `sudo mkdir -p ${serviceDir}\n` +
          `sudo nix build --extra-experimental-features 'nix-command flakes' --out-link ${packageRoot} '${service.nix.flake}#${service.nix.attribute}'\n`;
      } else {
        add(
          `systemd/${unit}`,
          renderSystemdUnit({ workflow: spec.name, service: name, spec: service, ...paths }),
        );
        const artifact = service.systemd.artifact;
        if (artifact)
          fetch =
            `# the artifact: ${"bundle" in artifact ? "the project files deployed with the revision" : `${"url" in artifact ? artifact.url : `uploaded as ${artifact.upload}`} (sha256 ${artifact.sha256})`}\n` +
            `sudo mkdir -p ${serviceDir}/releases/1 && sudo tar -xzf ARTIFACT.tar.gz -C ${serviceDir}/releases/1\n` +
            `sudo ln -sfn releases/1 ${serviceDir}/current\n`;
      }
      add(`systemd/${name}.env.example`, envExample(service));
      steps.push(
        `### ${name}: ${isNixService(service) ? "Nix package as a systemd service" : "systemd service"}${after}\n\n` +
          "```sh\n" +
          fetch +
          `sudo install -d -m 700 ${EXPORT_ENV_ROOT}/${spec.name}\n` +
          `sudo install -m 600 systemd/${name}.env.example ${envFile}   # then fill in the values\n` +
          `sudo install -m 644 systemd/${unit} /etc/systemd/system/${unit}\n` +
          `sudo systemctl daemon-reload && sudo systemctl enable --now ${unit}\n` +
          `systemctl is-active ${unit}\n` +
          "```\n",
      );
    }
  }
  const secrets = spec.secrets.map((s) => `${s}=`).join("\n");
  add(
    ".env.example",
    `# Secrets this workflow needs. Values are never exported.\n${secrets}${secrets ? "\n" : ""}`,
  );
  const caddyfile = renderCaddyfile(spec);
  if (caddyfile) {
    add("ingress/Caddyfile", caddyfile);
    steps.push(ingressStep(spec));
  }
  if (input.dockerfile) {
    add("Dockerfile", renderDockerfile({ kind: input.dockerfile }));
    add(".dockerignore", renderDockerignore());
  }
  add("README.md", readme(spec, steps, input.dockerfile));
  return files;
}

function ingressStep(spec: WorkflowSpec): string {
  const tls = spec.tls;
  const custom =
    tls?.issuer === "custom"
      ? `sudo install -d -m 700 ${exportCertificateDir(spec.name)}\n` +
        `# the certificate and key from secrets ${tls.certificate} and ${tls.key} (base64-decoded):\n` +
        `sudo install -m 600 certificate.pem key.pem ${exportCertificateDir(spec.name)}/\n`
      : "";
  const eab = tls?.acme?.eab ? `export ${tls.acme.eab.hmacKey}=...   # the ACME EAB key\n` : "";
  return (
    "### The ingress: Caddy for the domains (after the services)\n\n" +
    "`ingress/Caddyfile` serves the domains over HTTPS (ports 80 and 443; point their DNS at this machine). " +
    "Capstan loads the same routes into Caddy as JSON through its admin API; this is the readable equivalent.\n\n" +
    "```sh\n" +
    custom +
    eab +
    "sudo caddy run --config ingress/Caddyfile --adapter caddyfile\n" +
    "```\n"
  );
}

function readme(spec: WorkflowSpec, steps: string[], dockerfile?: DockerfileKind): string {
  const docker = dockerfile
    ? `\n## Container image\n\n\`Dockerfile\` is a multi-stage ${dockerfile} build (builder + slim runtime, non-root user, ` +
      "HEALTHCHECK). Build it with `docker build -t my-app .`, push it to your registry, and reference the image " +
      "in the Compose files.\n"
    : "";
  return `# ${spec.name}: exported from Capstan

These files describe workflow \`${spec.name}\` so you can run or customise it by hand, without
Capstan. Nothing here has been built or started. Secret values are not included: every
\`.env.example\` lists the names to fill in.

Start the services in this order (each after the ones it depends on):

${steps.join("\n")}
Systemd units expect their files under \`${EXPORT_SERVICE_ROOT}/${spec.name}/<service>\` and their
environment in \`${EXPORT_ENV_ROOT}/${spec.name}/<service>.env\` (mode 0600); edit the unit files if
you keep them elsewhere. Units are hardened (DynamicUser, ProtectSystem=strict, ...): if a
service needs to write somewhere, add \`ReadWritePaths=\` or use \`StateDirectory=\`.
${docker}`;
}
