// The host boundary, written as the attacks: each hostile Compose payload passed a deny-all
// policy before (it was checked before interpolation, or by a denylist) and must now be refused
// naming the policy key, the service, the key and the line, and be accepted once that key is on.
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { prepareComposeDocument } from "../compose/prepare-compose-document";
import { renderComposeProject } from "../compose/render-compose-project";
import { DEFAULT_HOST_POLICY, type HostPolicyInput, hostPolicySchema } from "./host-policy";
import { composeServiceSpecSchema } from "./spec";
import { validateWorkflow } from "./validate-workflow";
import { formatWorkflowIssue } from "./workflow-issue";

/** A workflow with one Compose service `s`; the document starts on line 9. */
function workflow(compose: string, env: Record<string, string> = {}, secrets: string[] = []): string {
  const indent = (text: string, n: number) =>
    text
      .trim()
      .split("\n")
      .map((l) => `${" ".repeat(n)}${l}`)
      .join("\n");
  return `name: w
targets: { hosts: [h] }
secrets: ${JSON.stringify(secrets)}
services:
  s:
    env: ${JSON.stringify(env)}
    compose:
      inline:
${indent(compose, 8)}
    secrets: ${JSON.stringify(secrets)}
`;
}

const issuesOf = (source: string, policy: HostPolicyInput = {}) => {
  const result = validateWorkflow(source, { policy: hostPolicySchema.parse(policy) });
  return result.ok ? [] : result.issues.map(formatWorkflowIssue);
};

interface Attack {
  name: string;
  compose: string;
  env?: Record<string, string>;
  /** Formatted path inside the document, the line, and the policy key the refusal names. */
  refused: { at: string; line: number; key: string };
  /** The policy that lets it through. */
  allow: HostPolicyInput;
}

const ATTACKS: Attack[] = [
  {
    name: "a bind of / through an env variable",
    env: { ROOT: "/" },
    compose: `services:\n  app:\n    image: x\n    volumes: ["\${ROOT}:/host"]`,
    refused: { at: "services.app.volumes[0]", line: 12, key: "allowHostPaths" },
    allow: { allowHostPaths: ["/"], allowDockerSocket: true },
  },
  {
    name: "a bind of / through a Compose default",
    compose: `services:\n  app:\n    image: x\n    volumes: ["\${ROOT:-/}:/host"]`,
    refused: { at: "services.app.volumes[0]", line: 12, key: "allowDockerSocket" },
    allow: { allowHostPaths: ["/"], allowDockerSocket: true },
  },
  {
    name: "a long-syntax bind of /etc through ${D-...}",
    compose: `services:\n  app:\n    image: x\n    volumes:\n      - type: bind\n        source: "\${D-/etc}"\n        target: /x`,
    refused: { at: "services.app.volumes[0].source", line: 14, key: "allowHostPaths" },
    allow: { allowHostPaths: ["/etc"] },
  },
  {
    name: "the Docker socket through a variable",
    env: { SOCK: "/var/run/docker.sock" },
    compose: `services:\n  app:\n    image: x\n    volumes: ["\${SOCK}:/var/run/docker.sock"]`,
    refused: { at: "services.app.volumes[0]", line: 12, key: "allowDockerSocket" },
    allow: { allowDockerSocket: true },
  },
  {
    name: "network_mode host through a variable",
    env: { NET: "host" },
    compose: `services:\n  app:\n    image: x\n    network_mode: "\${NET}"`,
    refused: { at: "services.app.network_mode", line: 12, key: "allowHostNetwork" },
    allow: { allowHostNetwork: true },
  },
  {
    name: "pid host through $VAR",
    env: { P: "host" },
    compose: `services:\n  app:\n    image: x\n    pid: $P`,
    refused: { at: "services.app.pid", line: 12, key: "allowHostNamespaces" },
    allow: { allowHostNamespaces: true },
  },
  {
    name: "userns_mode host",
    compose: `services:\n  app:\n    image: x\n    userns_mode: host`,
    refused: { at: "services.app.userns_mode", line: 12, key: "allowHostNamespaces" },
    allow: { allowHostNamespaces: true },
  },
  {
    name: "ipc of another stack's service",
    compose: `services:\n  app:\n    image: x\n    ipc: "service:elsewhere"`,
    refused: { at: "services.app.ipc", line: 12, key: "allowHostNamespaces" },
    allow: { allowHostNamespaces: true },
  },
  {
    name: "privileged typed after interpolation",
    env: { PRIV: "yes" },
    compose: `services:\n  app:\n    image: x\n    privileged: \${PRIV}`,
    refused: { at: "services.app.privileged", line: 12, key: "allowPrivileged" },
    allow: { allowPrivileged: true },
  },
  {
    name: "cap_add through a variable",
    env: { CAP: "sys_admin" },
    compose: `services:\n  app:\n    image: x\n    cap_add: ["\${CAP}"]`,
    refused: { at: "services.app.cap_add[0]", line: 12, key: "allowCapabilities" },
    allow: { allowCapabilities: ["SYS_ADMIN"] },
  },
  {
    name: "devices",
    compose: `services:\n  app:\n    image: x\n    devices: ["/dev/mem:/dev/mem"]`,
    refused: { at: "services.app.devices", line: 12, key: "allowDevices" },
    allow: { allowDevices: true },
  },
  {
    name: "device_cgroup_rules (mknod a host disk)",
    compose: `services:\n  app:\n    image: x\n    device_cgroup_rules: ["b 8:* rmw"]`,
    refused: { at: "services.app.device_cgroup_rules", line: 12, key: "allowDevices" },
    allow: { allowDevices: true },
  },
  {
    name: "a GPU reservation",
    compose: `services:\n  app:\n    image: x\n    deploy:\n      resources:\n        reservations:\n          devices: [{ capabilities: [gpu] }]`,
    refused: { at: "services.app.deploy.resources.reservations.devices", line: 15, key: "allowGpus" },
    allow: { allowGpus: true },
  },
  {
    name: "security_opt, even a narrowing one",
    compose: `services:\n  app:\n    image: x\n    security_opt: ["no-new-privileges:true"]`,
    refused: { at: "services.app.security_opt[0]", line: 12, key: "allowSecurityOpt" },
    allow: { allowSecurityOpt: true },
  },
  {
    name: "security_opt seccomp unconfined through a variable",
    env: { OPT: "seccomp=unconfined" },
    compose: `services:\n  app:\n    image: x\n    security_opt: ["\${OPT}"]`,
    refused: { at: "services.app.security_opt[0]", line: 12, key: "allowSecurityOpt" },
    allow: { allowSecurityOpt: true },
  },
  {
    name: "sysctls",
    compose: `services:\n  app:\n    image: x\n    sysctls: { net.ipv4.ip_forward: 1 }`,
    refused: { at: 'services.app.sysctls["net.ipv4.ip_forward"]', line: 12, key: "allowSysctls" },
    allow: { allowSysctls: ["net.ipv4.ip_forward"] },
  },
  {
    name: "cgroup_parent",
    compose: `services:\n  app:\n    image: x\n    cgroup_parent: system.slice`,
    refused: { at: "services.app.cgroup_parent", line: 12, key: "allowCgroupParent" },
    allow: { allowCgroupParent: true },
  },
  {
    name: "runtime",
    compose: `services:\n  app:\n    image: x\n    runtime: runc`,
    refused: { at: "services.app.runtime", line: 12, key: "allowRuntime" },
    allow: { allowRuntime: true },
  },
  {
    name: "volumes_from a container of another stack",
    compose: `services:\n  app:\n    image: x\n    volumes_from: ["container:capstan-other-db-1"]`,
    refused: { at: "services.app.volumes_from[0]", line: 12, key: "allowExternalVolumes" },
    allow: { allowExternalVolumes: true },
  },
  {
    name: "driver_opts rbind of /",
    compose: `services:\n  app:\n    image: x\n    volumes: ["root:/host"]\nvolumes:\n  root:\n    driver_opts: { type: none, o: rbind, device: / }`,
    refused: { at: "volumes.root.driver_opts.device", line: 15, key: "allowHostPaths" },
    allow: { allowHostPaths: ["/"], allowDockerSocket: true },
  },
  {
    name: "driver_opts nfs",
    compose: `services:\n  app:\n    image: x\nvolumes:\n  data:\n    driver_opts: { type: nfs, o: "addr=10.0.0.1", device: ":/export" }`,
    refused: { at: "volumes.data.driver_opts", line: 14, key: "allowVolumeDrivers" },
    allow: { allowVolumeDrivers: true },
  },
  {
    name: "an external volume of another project",
    compose: `services:\n  app:\n    image: x\n    volumes: ["pg:/steal"]\nvolumes:\n  pg:\n    external: true\n    name: capstan-other-db_pgdata`,
    refused: { at: "volumes.pg.external", line: 15, key: "allowExternalVolumes" },
    allow: { allowExternalVolumes: true },
  },
  {
    name: "another project's volume by a fixed name",
    compose: `services:\n  app:\n    image: x\n    volumes: ["pg:/steal"]\nvolumes:\n  pg: { name: capstan-other-db_pgdata }`,
    refused: { at: "volumes.pg.name", line: 14, key: "allowExternalVolumes" },
    allow: { allowExternalVolumes: true },
  },
  {
    name: "an external network",
    compose: `services:\n  app:\n    image: x\nnetworks:\n  default: { external: true, name: capstan-other-db_default }`,
    refused: { at: "networks.default.external", line: 13, key: "allowExternalNetworks" },
    allow: { allowExternalNetworks: true },
  },
  {
    name: "a macvlan network",
    compose: `services:\n  app:\n    image: x\nnetworks:\n  lan: { driver: macvlan }`,
    refused: { at: "networks.lan.driver", line: 13, key: "allowNetworkDrivers" },
    allow: { allowNetworkDrivers: true },
  },
  {
    name: "taking over docker0 with bridge driver_opts",
    compose: `services:\n  app:\n    image: x\nnetworks:\n  lan:\n    driver_opts: { com.docker.network.bridge.name: docker0 }`,
    refused: { at: "networks.lan.driver_opts", line: 14, key: "allowNetworkDrivers" },
    allow: { allowNetworkDrivers: true },
  },
  {
    name: "a build context outside the project",
    compose: `services:\n  app:\n    build: { context: /etc }`,
    refused: { at: "services.app.build.context", line: 11, key: "allowHostPaths" },
    allow: { allowHostPaths: ["/etc"] },
  },
  {
    name: "a build on the host network",
    compose: `services:\n  app:\n    build: { context: ".", network: host }`,
    refused: { at: "services.app.build.network", line: 11, key: "allowHostNetwork" },
    allow: { allowHostNetwork: true },
  },
];

describe("the Compose host policy, as attacks", () => {
  it.each(ATTACKS)("refuses $name naming the policy key, and allows it with that key", (attack) => {
    const source = workflow(attack.compose, attack.env);
    const { at, line, key } = attack.refused;
    const refused = issuesOf(source);
    expect(refused).toContainEqual(
      expect.stringMatching(
        new RegExp(
          `^services\\.s\\.compose\\.inline\\.${at.replace(/[.[\]"]/g, "\\$&")}: .*\\(${key}\\) \\(line ${line}\\)$`,
        ),
      ),
    );
    expect(issuesOf(source, attack.allow)).toEqual([]);
  });

  it("refuses binds that leave the allowed folder through .. or a symlink", () => {
    const policy = hostPolicySchema.parse({ allowHostPaths: ["/srv/app"] });
    const check = (source: string, realPath?: (p: string) => string) =>
      prepareComposeDocument({
        document: { services: { app: { image: "x", volumes: [`${source}:/data`] } } },
        variables: {},
        policy,
        realPath,
      });
    expect(check("/srv/app/data").ok).toBe(true);
    expect(check("/srv/app/../../etc")).toMatchObject({ ok: false, issues: [{ message: /'\.\.'/ }] });
    expect(check("/srv/app-evil")).toMatchObject({ ok: false, issues: [{ message: /allowHostPaths/ }] });
    const link = check("/srv/app/link", (p) => (p === "/srv/app/link" ? "/etc" : p));
    expect(link).toMatchObject({ ok: false, issues: [{ message: /a link to `\/etc`.*allowHostPaths/ }] });
  });

  it("keeps service:/volumes_from references inside the stack allowed", () => {
    const source = workflow(
      `services:\n  db:\n    image: x\n  app:\n    image: x\n    network_mode: "service:db"\n    ipc: "service:db"\n    volumes_from: [db]`,
    );
    expect(issuesOf(source)).toEqual([]);
  });

  it("refuses keys it does not know, even where the schema would let them through", () => {
    const result = prepareComposeDocument({
      // `cgroup: host` is newer than the schema version; a future schema must not let it pass.
      document: { services: { app: { image: "x", cgroup: "host" } } },
      variables: {},
      policy: DEFAULT_HOST_POLICY,
    });
    expect(!result.ok && result.issues.map((i) => i.path.join("."))).toEqual(["services.app.cgroup"]);
    expect(
      validateWorkflow(workflow(`services:\n  app:\n    image: x\n    cgroup: host`), {
        policy: DEFAULT_HOST_POLICY,
      }).issues.map(formatWorkflowIssue),
    ).toEqual([
      "services.s.compose.inline.services.app.cgroup: is a Compose v2-only key (docker-compose 1.29 does not know it); Capstan accepts what both Compose v1 and v2 read, so remove it (unknown key) (line 12)",
    ]);
  });

  it("types values after interpolation, like docker compose config", () => {
    const doc = `services:\n  app:\n    image: x\n    read_only: \${RO}\n    ulimits: { nofile: "\${N}" }`;
    expect(issuesOf(workflow(doc, { RO: "true", N: "1024" }))).toEqual([]);
    expect(issuesOf(workflow(doc, { RO: "maybe", N: "1024" }))).toEqual([
      "services.s.compose.inline.services.app.read_only: must be boolean (line 12)",
    ]);
    const prepared = prepareComposeDocument({
      document: parse(doc),
      variables: { RO: "off", N: "1024" },
      policy: DEFAULT_HOST_POLICY,
    });
    expect(prepared.ok && prepared.document.services).toEqual({
      app: { image: "x", read_only: false, ulimits: { nofile: 1024 } },
    });
  });

  it("refuses a required variable without a value, with Compose's message", () => {
    const doc = `services:\n  app:\n    image: "x:\${TAG:?set TAG}"`;
    expect(issuesOf(workflow(doc))).toEqual([
      "services.s.compose.inline.services.app.image: required variable TAG is missing a value: set TAG (line 11)",
    ]);
    expect(issuesOf(workflow(doc, { TAG: "1" }))).toEqual([]);
  });

  it("reads secrets as opaque stand-ins on the control plane and checks their values on the agent", () => {
    const doc = `services:\n  app:\n    image: x\n    volumes: ["\${S}:/host"]\nvolumes:\n  capstan-secret-S: {}`;
    // The stand-in is a volume name, not a path: the control plane cannot know more.
    expect(issuesOf(workflow(doc, {}, ["S"]))).toEqual([]);
    const spec = composeServiceSpecSchema.parse({ compose: { inline: parse(doc) }, secrets: ["S"] });
    const render = (value: string) => () =>
      renderComposeProject({
        workflow: "w",
        service: "s",
        spec,
        secrets: { S: value },
        hostPolicy: DEFAULT_HOST_POLICY,
      });
    expect(render("/etc/shadow-dir")).toThrow(
      /services\.app\.volumes\[0\]: host path `\*\*\*` .*allowHostPaths/,
    );
    expect(render("/etc/shadow-dir")).not.toThrow(/shadow-dir/);
  });
});

/**
 * Real-world Compose files under the default policy: accepted, or refused naming what would
 * allow them. Relative paths are refused without a key: no project files are shipped to hosts.
 */
const CORPUS_EXPECTATIONS: Record<string, string[]> = {
  "02-reverse-proxy-traefik.yaml": ["services.proxy.volumes[0] (allowDockerSocket)"],
  "03-nginx-proxy-app.yaml": ["services.nginx.volumes[0].source (relative host path)"],
  "07-named-volumes.yaml": ["volumes.backups.name (allowExternalVolumes)"],
  "08-secrets.yaml": ["secrets.db_root_password.file (relative host path)"],
  "13-gitea.yaml": [
    "services.server.volumes[1] (allowHostPaths)",
    "services.server.volumes[2] (allowHostPaths)",
  ],
  "14-monitoring.yaml": [
    "services.node-exporter.pid (allowHostNamespaces)",
    "services.node-exporter.network_mode (allowHostNetwork)",
    "services.node-exporter.volumes[0] (allowDockerSocket)",
    "services.node-exporter.volumes[0] (allowHostPaths)",
  ],
  "15-tmpfs-ulimits-caps.yaml": [
    "services.app.cap_add[0] (allowCapabilities)",
    "services.app.security_opt[0] (allowSecurityOpt)",
    'services.app.sysctls["net.core.somaxconn"] (allowSysctls)',
  ],
};

describe("real-world Compose files under the default policy", () => {
  const dir = join(import.meta.dirname, "../../test-data/compose");
  const files = readdirSync(dir).filter((f) => f.endsWith(".yaml"));
  it.each(files)("%s is accepted or refused naming what allows it", (file) => {
    const document = parse(readFileSync(join(dir, file), "utf8"), { merge: true, version: "1.1" });
    const result = prepareComposeDocument({ document, variables: {}, policy: DEFAULT_HOST_POLICY });
    const got = result.ok
      ? []
      : result.issues.map((i) => {
          const reason =
            /\((allow[A-Za-z]+)\)$/.exec(i.message)?.[1] ?? /relative host path/.exec(i.message)?.[0];
          return `${formatWorkflowIssue({ path: i.path, message: "" }).replace(/: $/, "")} (${reason ?? i.message})`;
        });
    expect(got).toEqual(CORPUS_EXPECTATIONS[file] ?? []);
  });
});
