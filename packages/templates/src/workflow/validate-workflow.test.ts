import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { type ComposeServiceSpec, hostPolicySchema } from "../index";
import { validateWorkflow, validateWorkflowSpec } from "./validate-workflow";
import { formatIssuePath, formatWorkflowIssue } from "./workflow-issue";

const brokenDir = join(import.meta.dirname, "../../test-data/workflows/broken");

const base = `name: shop
targets: { hosts: [web-1] }
secrets: [DB_PASSWORD]
services:
  db:
    compose:
      inline:
        services:
          pg:
            image: postgres:16
            environment: { POSTGRES_PASSWORD: "\${DB_PASSWORD}" }
    secrets: [DB_PASSWORD]
  api:
    dependsOn: [db]
    systemd:
      exec: ["/usr/bin/node", "server.js"]
`;

describe("validateWorkflow", () => {
  it("accepts a valid workflow, applies defaults and orders services by dependsOn", () => {
    const result = validateWorkflow(base);
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.services.map((s) => s.name)).toEqual(["db", "api"]);
    expect(result.spec.rollout).toEqual({ batchSize: 1, autoRollback: true });
    expect(result.spec.services.api!.deadline).toBe(120);
    expect(result.contentHash).toMatch(/^[0-9a-f]{64}$/);
  });

  it("orders independent services as written and dependents after their dependencies", () => {
    const source = `name: w
targets: { selector: { role: web } }
services:
  z: { systemd: { exec: [/usr/bin/node] }, dependsOn: [m] }
  a: { systemd: { exec: [/usr/bin/node] } }
  m: { systemd: { exec: [/usr/bin/node] } }
`;
    const result = validateWorkflow(source);
    expect(result.ok && result.services.map((s) => s.name)).toEqual(["a", "m", "z"]);
  });

  it("gives the same content hash regardless of formatting and key order, a different one for a change", () => {
    const reordered = `# same workflow, other layout
services:
  api:
    systemd: { exec: [/usr/bin/node, server.js] }
    dependsOn: [db]
  db:
    secrets: [DB_PASSWORD]
    compose: { inline: { services: { pg: { environment: { POSTGRES_PASSWORD: "\${DB_PASSWORD}" }, image: "postgres:16" } } } }
secrets: [DB_PASSWORD]
targets:
  hosts: [web-1]
name: shop
`;
    const a = validateWorkflow(base);
    const b = validateWorkflow(reordered);
    const c = validateWorkflow(base.replace("server.js", "main.js"));
    expect(a.ok && b.ok && c.ok).toBe(true);
    if (!a.ok || !b.ok || !c.ok) return;
    expect(b.contentHash).toBe(a.contentHash);
    expect(c.contentHash).not.toBe(a.contentHash);
  });

  it("inlines Compose files next to the workflow and reads them as YAML 1.1, like Compose", () => {
    const source = `name: w
targets: { hosts: [h] }
services:
  stack:
    compose: { file: compose.yaml }
`;
    const compose =
      "services:\n  app:\n    image: nginx\n    secrets:\n      - source: s\n        mode: 0440\nsecrets:\n  s:\n    external: true\n";
    const result = validateWorkflow(source, {
      readFile: (p) => (p === "compose.yaml" ? compose : undefined),
    });
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    const stack = result.spec.services.stack as ComposeServiceSpec;
    const inline = stack.compose.inline as { services: { app: { secrets: { mode: number }[] } } };
    expect(inline.services.app.secrets[0]!.mode).toBe(0o440);
    expect("file" in stack.compose).toBe(false);
    const changed = validateWorkflow(source, { readFile: () => compose.replace("nginx", "caddy") });
    expect(changed.ok && changed.contentHash).not.toBe(result.contentHash);
  });

  it("reports issues inside a Compose file with that file's lines", () => {
    const result = validateWorkflow(
      "name: w\ntargets: { hosts: [h] }\nservices:\n  s:\n    compose: { file: c.yaml }\n",
      {
        readFile: () => "services:\n  app:\n    image: nginx\n    privileged: true\n",
        policy: hostPolicySchema.parse({}),
      },
    );
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.issues.map(formatWorkflowIssue)).toEqual([
      "services.s.compose.file -> c.yaml: services.app.privileged: privileged containers are refused by the host policy (allowPrivileged) (c.yaml line 4)",
    ]);
  });

  it("refuses a Compose file it cannot read, and `file` when there is no file access", () => {
    const source = "name: w\ntargets: { hosts: [h] }\nservices:\n  s:\n    compose: { file: c.yaml }\n";
    const without = validateWorkflow(source);
    expect(!without.ok && without.issues[0]!.message).toMatch(/must be inline/);
    const missing = validateWorkflow(source, { readFile: () => undefined });
    expect(!missing.ok && missing.issues[0]!.message).toMatch(/cannot read `c.yaml`/);
  });

  it("keeps `compose.file` as a path into the project files when the revision has them", () => {
    const source =
      "name: w\ntargets: { hosts: [h] }\nservices:\n  s:\n    compose: { file: app/compose.yaml }\n";
    const compose =
      "services:\n  web:\n    image: nginx\n    volumes: ['./nginx.conf:/etc/nginx/nginx.conf:ro']\n";
    const kept = validateWorkflow(source, { keepComposeFiles: true, readFile: () => compose });
    expect(kept.ok && kept.spec.services.s).toMatchObject({ compose: { file: "app/compose.yaml" } });
    const notInBundle = validateWorkflow(source, { keepComposeFiles: true, readFile: () => undefined });
    expect(!notInBundle.ok && notInBundle.issues[0]!.message).toBe(
      "`app/compose.yaml` is not in the project files",
    );
    const broken = validateWorkflow(source, { keepComposeFiles: true, readFile: () => "services: [" });
    expect(!broken.ok && broken.issues[0]!.file).toBe("app/compose.yaml");
    // A git source is fetched at deploy time: the file stays a path, unread.
    const git = validateWorkflow(
      `${source}source: { git: { url: "https://git.example.com/shop.git", path: deploy } }\n`,
    );
    expect(git.ok && git.spec.source).toEqual({
      git: { url: "https://git.example.com/shop.git", ref: "main", path: "deploy" },
    });
    expect(git.ok && git.spec.services.s).toMatchObject({ compose: { file: "app/compose.yaml" } });
  });

  it("refuses git sources that would read local files, run options or use undeclared secrets", () => {
    const workflow = (git: string) =>
      `name: w\ntargets: { hosts: [h] }\nsecrets: [TOKEN]\nsource: { git: ${git} }\nservices:\n  s:\n    compose: { file: c.yaml }\n`;
    const messages = (git: string) => {
      const result = validateWorkflow(workflow(git));
      return result.ok ? [] : result.issues.map((i) => `${formatIssuePath(i.path)}: ${i.message}`);
    };
    expect(messages('{ url: "file:///etc", credentials: TOKEN }')[0]).toMatch(
      /^source\.git\.url: local \(file:\/\/\) and command \(ext::\) transports are refused/,
    );
    expect(messages('{ url: "/srv/repo.git" }')[0]).toMatch(/^source\.git\.url/);
    expect(messages('{ url: "https://h/r.git", ref: "--upload-pack=touch /tmp/x" }')[0]).toMatch(
      /^source\.git\.ref: must be a branch/,
    );
    expect(messages('{ url: "https://h/r.git", path: "../up" }')[0]).toMatch(/^source\.git\.path/);
    expect(messages('{ url: "git@github.com:o/r.git", credentials: KEY }')).toEqual([
      "source.git.credentials: secret `KEY` is not declared in the top-level `secrets` list",
    ]);
    expect(messages('{ url: "ssh://git@h:22/o/r.git", ref: "v1.2.0", credentials: TOKEN }')).toEqual([]);
  });

  it("lets a host policy allow what the default refuses", () => {
    const source = `name: w
targets: { hosts: [h] }
services:
  s:
    compose:
      inline:
        services:
          app: { image: nginx, privileged: true, network_mode: host, cap_add: [NET_ADMIN], volumes: ["/srv/data:/data"] }
`;
    expect(validateWorkflow(source, { policy: hostPolicySchema.parse({}) }).ok).toBe(false);
    const allowed = hostPolicySchema.parse({
      allowPrivileged: true,
      allowHostNetwork: true,
      allowCapabilities: ["NET_ADMIN"],
      allowHostPaths: ["/srv"],
    });
    expect(validateWorkflow(source, { policy: allowed }).issues).toEqual([]);
    const narrower = validateWorkflow(source, { policy: { ...allowed, allowHostPaths: ["/srv/other"] } });
    expect(!narrower.ok && narrower.issues.map((i) => formatIssuePath(i.path))).toEqual([
      "services.s.compose.inline.services.app.volumes[0]",
    ]);
  });

  it("refuses joining namespaces of containers outside the stack", () => {
    const source = `name: w
targets: { hosts: [h] }
services:
  s:
    compose:
      inline:
        services:
          a: { image: nginx, network_mode: "container:capstan-other-db-1", pid: "container:x" }
`;
    const result = validateWorkflow(source, { policy: hostPolicySchema.parse({}) });
    expect(!result.ok && result.issues.map((i) => formatIssuePath(i.path))).toEqual([
      "services.s.compose.inline.services.a.network_mode",
      "services.s.compose.inline.services.a.pid",
    ]);
  });

  it("re-validates its own output to the same spec and hash (stored revisions)", () => {
    const first = validateWorkflow(base);
    expect(first.ok).toBe(true);
    if (!first.ok) return;
    const again = validateWorkflowSpec(JSON.parse(JSON.stringify(first.spec)));
    expect(again.ok && again.contentHash).toBe(first.contentHash);
    expect(again.ok && again.spec).toEqual(first.spec);
  });

  it("needs an artifact for paths inside current/", () => {
    const result = validateWorkflow(
      "name: w\ntargets: { hosts: [h] }\nservices:\n  s:\n    systemd: { exec: [current/bin/app], workingDirectory: current }\n",
    );
    expect(!result.ok && result.issues.map((i) => `${formatIssuePath(i.path)} (line ${i.line})`)).toEqual([
      "services.s.systemd.exec[0] (line 5)",
      "services.s.systemd.workingDirectory (line 5)",
    ]);
  });

  it("refuses a 10 MB document before parsing it", () => {
    const result = validateWorkflow(`name: x\nblob: "${"x".repeat(10 * 1024 * 1024)}"\n`);
    expect(!result.ok && result.issues[0]!.message).toMatch(/larger than/);
  });

  it("validates dashboard objects without lines", () => {
    const result = validateWorkflowSpec({
      name: "w",
      targets: { hosts: ["h"] },
      services: { s: { systemd: { exec: ["x"] } } },
    });
    expect(!result.ok && result.issues).toEqual([
      {
        path: ["services", "s", "systemd", "exec", 0],
        message: "must be an absolute path (or current/... for a file from the artifact)",
      },
    ]);
  });

  const broken = readdirSync(brokenDir).filter((f) => f.endsWith(".yaml"));
  it.each(broken)("refuses broken example %s with the expected path and line", (file) => {
    const source = readFileSync(join(brokenDir, file), "utf8");
    const header = /^# expect: (\S+)(?: \(line (\d+)\))? (.+)$/m.exec(source);
    expect(header).not.toBeNull();
    const [, path, line, fragment] = header!;
    const result = validateWorkflow(source, { policy: hostPolicySchema.parse({}) });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    const match = result.issues.find(
      (i) =>
        formatIssuePath(i.path) === path &&
        (line === undefined || i.line === Number(line)) &&
        i.message.toLowerCase().includes(fragment!.toLowerCase()),
    );
    expect(match, result.issues.map(formatWorkflowIssue).join("\n")).toBeDefined();
  });
});
