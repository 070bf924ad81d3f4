// The injection corpus in every field of a workflow: each value is either refused with an issue
// at that field's path, or accepted only in free-text fields whose renderers quote it (checked
// byte-exact against systemd and docker-compose in packages/templates).

import { describe, expect, it } from "vitest";
import {
  DEFAULT_HOST_POLICY,
  isComposeService,
  isNixService,
  isSystemdService,
  renderComposeProject,
  renderNixService,
  renderSystemdService,
  type WorkflowSpec,
} from "../index";
import { validateWorkflowSpec } from "./validate-workflow";
import { formatIssuePath } from "./workflow-issue";

const CORPUS = [
  "$(touch /tmp/capstan-injected)",
  "`touch /tmp/capstan-injected`",
  "a;b",
  "a|b",
  "line\nExecStartPre=/bin/sh",
  "%s%n",
  "\"quoted' ",
  "../../etc/passwd",
  "nul\0byte",
  "--help",
];

// biome-ignore lint/suspicious/noExplicitAny: fixtures are changed at arbitrary paths
type Setter = (w: Record<string, any>, v: string) => void;
const base = () => ({
  name: "shop",
  targets: { hosts: ["web-1"], selector: { role: "web" } },
  secrets: ["TOKEN"],
  services: {
    api: {
      systemd: {
        exec: ["/usr/bin/node", "server.js"],
        artifact: { url: "https://example.com/a.tgz", sha256: "a".repeat(64) },
      },
      env: { MODE: "x" },
      secrets: ["TOKEN"],
      healthChecks: [
        { http: { url: "http://127.0.0.1:8080/" } },
        { tcp: { host: "127.0.0.1", port: 80 } },
        { command: ["/bin/true", "x"] },
      ],
    },
    db: { compose: { inline: { services: { pg: { image: "postgres:16" } } } }, env: { A: "x" } },
    web: { nix: { flake: "path:/srv/web", attribute: "default", exec: ["bin/server", "--port"] } },
  },
});

/** Field -> where the value goes; free text fields are rendered quoted instead of refused. */
const FIELDS: Record<string, { set: Setter; path: string; freeText?: boolean }> = {
  name: { set: (w, v) => (w.name = v), path: "name" },
  description: { set: (w, v) => (w.description = v), path: "description", freeText: true },
  host: { set: (w, v) => (w.targets.hosts[0] = v), path: "targets.hosts[0]" },
  label: { set: (w, v) => (w.targets.selector.role = v), path: "targets.selector.role" },
  secret: { set: (w, v) => (w.secrets[0] = v), path: "secrets[0]" },
  "service name": { set: (w, v) => (w.services[v] = w.services.api), path: "services" },
  exec0: { set: (w, v) => (w.services.api.systemd.exec[0] = v), path: "services.api.systemd.exec[0]" },
  exec1: {
    set: (w, v) => (w.services.api.systemd.exec[1] = v),
    path: "services.api.systemd.exec[1]",
    freeText: true,
  },
  workingDirectory: {
    set: (w, v) => (w.services.api.systemd.workingDirectory = v),
    path: "services.api.systemd.workingDirectory",
  },
  user: { set: (w, v) => (w.services.api.systemd.user = v), path: "services.api.systemd.user" },
  // URLs only reach fetch() (never a shell or a unit); characters legal in URLs may stay.
  artifactUrl: {
    set: (w, v) => (w.services.api.systemd.artifact.url = `https://example.com/${v}`),
    path: "services.api.systemd.artifact.url",
    freeText: true,
  },
  after: { set: (w, v) => (w.services.api.systemd.after = [v]), path: "services.api.systemd.after[0]" },
  cpuQuota: {
    set: (w, v) => (w.services.api.systemd.resources = { cpuQuota: v }),
    path: "services.api.systemd.resources.cpuQuota",
  },
  hardening: {
    set: (w, v) => (w.services.api.systemd.hardening = { SystemCallFilter: v }),
    path: "services.api.systemd.hardening.SystemCallFilter",
  },
  readWritePath: {
    set: (w, v) => (w.services.api.systemd.hardening = { ReadWritePaths: [v] }),
    path: "services.api.systemd.hardening.ReadWritePaths[0]",
  },
  // Flake references and attributes reach `nix build` (one argv element, parsed by Nix): no
  // metacharacters, newlines or leading dashes.
  flake: { set: (w, v) => (w.services.web.nix.flake = v), path: "services.web.nix.flake" },
  // Inside a URL a dash is only a path character (the argument starts with git+https://).
  flakeUrl: {
    set: (w, v) => (w.services.web.nix.flake = `git+https://example.com/${v}`),
    path: "services.web.nix.flake",
    freeText: true,
  },
  attribute: { set: (w, v) => (w.services.web.nix.attribute = v), path: "services.web.nix.attribute" },
  nixExec0: { set: (w, v) => (w.services.web.nix.exec[0] = v), path: "services.web.nix.exec[0]" },
  nixExec1: {
    set: (w, v) => (w.services.web.nix.exec[1] = v),
    path: "services.web.nix.exec[1]",
    freeText: true,
  },
  nixWorkingDirectory: {
    set: (w, v) => (w.services.web.nix.workingDirectory = v),
    path: "services.web.nix.workingDirectory",
  },
  envName: { set: (w, v) => (w.services.api.env = { [v]: "x" }), path: "services.api.env" },
  envValue: { set: (w, v) => (w.services.api.env.MODE = v), path: "services.api.env.MODE", freeText: true },
  healthUrl: {
    set: (w, v) => (w.services.api.healthChecks[0].http.url = `http://127.0.0.1/${v}`),
    path: "services.api.healthChecks[0].http.url",
    freeText: true,
  },
  tcpHost: {
    set: (w, v) => (w.services.api.healthChecks[1].tcp.host = v),
    path: "services.api.healthChecks[1].tcp.host",
  },
  command0: {
    set: (w, v) => (w.services.api.healthChecks[2].command[0] = v),
    path: "services.api.healthChecks[2].command[0]",
  },
  command1: {
    set: (w, v) => (w.services.api.healthChecks[2].command[1] = v),
    path: "services.api.healthChecks[2].command[1]",
    freeText: true,
  },
  composeFile: { set: (w, v) => (w.services.db.compose = { file: v }), path: "services.db.compose.file" },
  composeEnv: { set: (w, v) => (w.services.db.env.A = v), path: "services.db.env.A", freeText: true },
};

const singleLine = (v: string) => !/[\0\r\n]/.test(v);

function render(spec: WorkflowSpec) {
  for (const [name, service] of Object.entries(spec.services)) {
    if (isSystemdService(service)) {
      const r = renderSystemdService({
        workflow: spec.name,
        service: name,
        spec: service,
        secrets: { TOKEN: "t" },
      });
      const unit = r.unit({
        serviceDir: "/var/lib/capstan/systemd/shop/api",
        environmentFile: "/var/lib/capstan/e.env",
      });
      const plain = renderSystemdService({
        workflow: "shop",
        service: "api",
        spec: { ...service, env: {} },
        secrets: { TOKEN: "t" },
      });
      // No value may add a line (a directive) to the unit or the EnvironmentFile.
      expect(unit.split("\n").length).toBe(
        plain
          .unit({
            serviceDir: "/var/lib/capstan/systemd/shop/api",
            environmentFile: "/var/lib/capstan/e.env",
          })
          .split("\n").length,
      );
      expect(r.environment.split("\n").length).toBe(Object.keys(service.env).length + 3);
    } else if (isNixService(service)) {
      const paths = (nix: typeof service) =>
        renderNixService({ workflow: spec.name, service: name, spec: nix, secrets: {} }).unit({
          packageRoot: "/nix/store/00000000000000000000000000000000-web",
          serviceDir: "/var/lib/capstan/nix/shop/web",
          environmentFile: "/var/lib/capstan/e.env",
        });
      const unit = paths(service);
      expect(unit.split("\n").length).toBe(
        paths({ ...service, nix: { ...service.nix, exec: ["bin/x"] } }).split("\n").length,
      );
      expect(unit).toMatch(/^ExecStart=\/nix\/store\/0{32}-web\/bin\/server /m);
    } else if (isComposeService(service)) {
      const files = renderComposeProject({
        workflow: spec.name,
        service: name,
        spec: service,
        secrets: {},
        hostPolicy: DEFAULT_HOST_POLICY,
      });
      expect(files.env.split("\n").filter((l) => /^[A-Z]/.test(l) && !l.startsWith("CAPSTAN_")).length).toBe(
        Object.keys(service.env).length,
      );
    }
  }
}

describe("injection corpus in every workflow field", () => {
  for (const [field, { set, path, freeText }] of Object.entries(FIELDS)) {
    it.each(CORPUS)(`${field}: %j is refused at its path or rendered inert`, (value) => {
      const workflow = base();
      set(workflow, value);
      const result = validateWorkflowSpec(workflow);
      if (result.ok) {
        expect({ field, accepted: freeText === true && singleLine(value) }).toEqual({
          field,
          accepted: true,
        });
        render(result.spec);
      } else {
        const paths = result.issues.map((i) => formatIssuePath(i.path));
        expect(paths.some((p) => p.startsWith(path))).toBe(true);
      }
    });
  }
});
