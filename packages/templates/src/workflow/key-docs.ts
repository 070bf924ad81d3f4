// One line per key of capstan.yaml, shown by the dashboard editor on hover and in completion (via
// the JSON Schema's `description`). Paths use `*` for a name (a service, a task) and `[]` for a
// list item. docs/workflow-format.md has the full text; these are its first sentences.
const SERVICE = {
  env: "Environment variables (`NAME: value`). Numbers and booleans are written as text; values are one line. `${{ team.NAME }}` in a value names a team variable, filled in at deploy time.",
  secrets:
    "Secrets this service receives, by name; each must be listed in the top-level `secrets`. A name cannot be both in `env` and in `secrets`.",
  healthChecks:
    "Checks the agent runs on the host until they all pass, before the `deadline`: `http: { url, expectStatus, timeout }`, `tcp: { host, port, timeout }` or `command: [argv...]`.",
  "healthChecks.[].http": "An HTTP check: `url` on the host, `expectStatus` (default 200), `timeout`.",
  "healthChecks.[].http.url": "The URL the agent requests on the host, e.g. `http://127.0.0.1:8080/health`.",
  "healthChecks.[].http.expectStatus": "The HTTP status that means healthy. Default 200.",
  "healthChecks.[].tcp":
    "A TCP check: the service accepts a connection on `port` (`host` defaults to 127.0.0.1).",
  "healthChecks.[].command":
    "A command as an argv array (no shell); exit status 0 means healthy. `command[0]` is an absolute path.",
  deadline:
    'Seconds (or `"90s"`, `"2m"`, `"1h"`, at most 6 hours) the deploy step may take, health gate included. Default 120.',
  dependsOn:
    "Services of this workflow that must be deployed and healthy first. Unknown names and cycles are errors.",
  release:
    "A command run once per deployment in the new release before it is activated (database migrations): `{ command: [argv...], service?, timeout? }`.",
  tasks:
    "Commands run on a schedule in this service's context: `{ <name>: { schedule, command: [argv...], service?, timeoutSeconds?, notifyOnFailure? } }`.",
  "tasks.*.schedule": "A systemd calendar expression (`OnCalendar=`): `daily`, `*-*-* 03:00:00`, `*:0/15`.",
  domains:
    "Names the host's ingress (Caddy) serves over HTTPS for this service: `[{ host, port, service?, path?, redirectHttp?, www?, headers?, hsts? }]`.",
  "domains.[].host": "The domain name served, e.g. `shop.example.com`.",
  "domains.[].port": "The port on the host the service listens on; the ingress proxies to it.",
  compose:
    "A Docker Compose stack: `inline` (a Compose document) or `file` (a Compose file next to the workflow).",
  "compose.inline": "A Compose document: what you would put in `compose.yaml`.",
  "compose.file": "A Compose file next to the workflow (a relative path without `..`).",
  dockerfile:
    "`node` or `python`: a `build:` context without a Dockerfile gets Capstan's generated multi-stage Dockerfile.",
  systemd:
    "A hardened systemd service: `exec` (an argv array), optional `artifact`, `user`, `resources`, `hardening`.",
  "systemd.exec":
    "The command as an argument array, never a shell string. `exec[0]` is an absolute path, or `current/...` inside the artifact.",
  "systemd.workingDirectory": "An absolute path, or a path relative to the service's folder on the host.",
  "systemd.user":
    "`dynamic` (default) runs as a throwaway user; a user name runs as that user if the host policy lists it.",
  "systemd.artifact":
    "`{ url, sha256, format }` downloads a file, `{ upload, sha256, format }` uses an uploaded one, `{ bundle: true }` the project files.",
  "systemd.restart":
    "systemd's `Restart=`: `no`, `on-failure` (default), `always`, `on-abnormal`, `on-abort`, `on-success`.",
  "systemd.restartSec": "Seconds between restarts. Default 2.",
  "systemd.reloadSignal": "`HUP`, `USR1` or `USR2`: the unit can be reloaded with this signal.",
  "systemd.resources": "`cpuQuota` (`CPUQuota=`), `memoryMax` (`MemoryMax=`), `tasksMax` (`TasksMax=`).",
  "systemd.hardening":
    "The sandbox: `profile` (`strict` default, or `baseline`) and systemd directives that override it.",
  "systemd.after": "Other units for `After=`, from the host policy's `systemd.units`.",
  nix: "A systemd service built from a Nix flake: `flake`, `attribute`, `exec`.",
  "nix.flake": "A folder on the host or a URL (`https://`, `git+https://`, `git+ssh://`, `git+file://`).",
  "nix.attribute": "The flake output to build: `default`, `hello` or `packages.x86_64-linux.default`.",
  "nix.exec":
    "The command as an argument array; `exec[0]` is a path inside the built package, such as `bin/server`.",
} as const;

const TOP = {
  name: "The workflow's name: 1-63 lowercase letters, digits or `-`. It becomes part of unit and project names.",
  description: "One line of text for people.",
  targets:
    "Where it runs: `hosts` (host names), `selector` (labels every target host must have), or both. At least one host or label.",
  "targets.hosts": "Host names to deploy to, e.g. `[local]`.",
  "targets.selector": "Labels every target host must have, e.g. `{ role: web }`.",
  rollout: "How hosts are deployed: `batchSize` and `autoRollback`.",
  "rollout.batchSize":
    'How many target hosts deploy at once: a count (`2`) or a percentage (`"25%"`). Default 1.',
  "rollout.autoRollback":
    "When a host fails its health gate, switch it back to its previous release. Default true.",
  secrets:
    "Names of the secrets this workflow uses (like `DB_PASSWORD`). Values are set in the dashboard or API, never in this file.",
  source: "The project's files come from a Git repository: `git: { url, ref, path, credentials }`.",
  "source.git.url":
    "`https://host/owner/repo.git`, `ssh://git@host/owner/repo.git` or `git@host:owner/repo.git`.",
  "source.git.ref": "A branch, a tag or a full 40-character commit id. Default `main`.",
  "source.git.credentials": "A declared secret: an access token or an OpenSSH private key.",
  registries:
    "Private image registries the hosts log in to before pulling: `[{ server, username, password }]`.",
  tls: "How the hosts' ingress gets certificates for `domains`: `issuer: acme` (default), `internal` or `custom`.",
  services: "One to 64 services by name: each a `compose` stack, a `systemd` service or a `nix` service.",
} as const;

/** Descriptions by path (`services.*.healthChecks`, `targets.hosts`). */
export const KEY_DOCS: Readonly<Record<string, string>> = {
  ...TOP,
  ...Object.fromEntries(Object.entries(SERVICE).map(([path, text]) => [`services.*.${path}`, text])),
};

/** A hardening key without its own line: systemd's directive of the same name. */
export const hardeningDoc = (key: string) =>
  key === "profile"
    ? "`strict` (default) or `baseline`: the set of directives below that the unit gets."
    : `systemd's \`${key}=\` (systemd.exec(5)); set here, it overrides the profile.`;
