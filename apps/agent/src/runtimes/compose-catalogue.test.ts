// Three catalogue templates (templates/catalogue) deployed as they are written, through the
// agent's real Compose runtime on the real Docker Engine, each gated on its own health checks.
// Only the published host port is moved to a free one (another helper or the machine's own
// PostgreSQL may hold 5432/6379/8080). The images are the templates' exact names; CI builds
// stand-ins for them from Debian binaries (.ci/template-images.sh).
import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { createConnection } from "node:net";
import { join } from "node:path";
import { DEFAULT_HOST_POLICY, type ServiceSpec } from "@capstan/templates";
import { loadTemplate } from "@capstan/templates/catalogue/load-catalogue";
import { validateWorkflow } from "@capstan/templates/workflow/validate-workflow";
import { dockerEngine, dockerImage, executable, requireComponents } from "@capstan/testkit";
import { afterAll, describe, expect, it } from "vitest";
import { freePort, tempDir, uniqueName } from "../../test/helpers";
import { DockerHost } from "../docker";
import { ComposeRuntime } from "./compose";
import { deployRelease } from "./deploy-release";

const CATALOGUE = join(import.meta.dirname, "../../../../templates/catalogue");
const ok = requireComponents(
  "catalogue templates on Docker",
  dockerEngine(),
  dockerImage("busybox:1.36"),
  dockerImage("redis:7.4-alpine"),
  dockerImage("postgres:16-alpine"),
  executable("/usr/bin/psql"),
);

/** The template's only service, with its published loopback port moved to `port`. */
function templateService(slug: string, port: number): { name: string; spec: ServiceSpec; secrets: string[] } {
  const template = loadTemplate(join(CATALOGUE, slug), slug);
  if ("messages" in template) throw new Error(template.messages.join("\n"));
  const result = validateWorkflow(template.source, { policy: DEFAULT_HOST_POLICY });
  if (!result.ok) throw new Error(JSON.stringify(result.issues));
  const [service] = result.services;
  const spec = structuredClone(service!.spec) as ServiceSpec & {
    compose: { inline: { services: Record<string, { ports?: string[] }> } };
  };
  let published: string | undefined;
  for (const container of Object.values(spec.compose.inline.services))
    container.ports = container.ports?.map((p) => {
      const [, host, inner] = /^127\.0\.0\.1:(\d+):(\d+)$/.exec(p)!;
      published = host;
      return `127.0.0.1:${port}:${inner}`;
    });
  spec.healthChecks = spec.healthChecks.map((check) =>
    "tcp" in check
      ? { tcp: { ...check.tcp, port } }
      : "http" in check
        ? { http: { ...check.http, url: check.http.url.replace(`:${published}/`, `:${port}/`) } }
        : check,
  );
  return { name: service!.name, spec, secrets: result.spec.secrets };
}

/** Sends raw RESP commands and reads until the expected number of replies came back. */
function redisSay(port: number, lines: string[], replies: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = createConnection({ host: "127.0.0.1", port });
    let data = "";
    socket.setTimeout(10_000, () => socket.destroy(new Error(`redis answered only ${JSON.stringify(data)}`)));
    socket.on("data", (chunk) => {
      data += chunk.toString();
      if (data.split("\r\n").length - 1 >= replies) {
        socket.end();
        resolve(data);
      }
    });
    socket.on("error", reject);
    socket.write(lines.map((l) => `${l}\r\n`).join(""));
  });
}

// Longer than a template's deadline plus its rollback, so a slow deploy fails with its own outcome
// and log instead of a bare timeout (once, on a stalled machine, the first deploy took over 2 min).
describe.skipIf(!ok)("catalogue templates deploy on the real Docker Engine", { timeout: 300_000 }, () => {
  const runtime = new ComposeRuntime(tempDir("catalogue"), new DockerHost("/var/run/docker.sock", false), {
    PATH: "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
  });
  const deployed: { workflow: string; service: string }[] = [];
  const signal = new AbortController().signal;

  afterAll(async () => {
    for (const ref of deployed) await runtime.remove(ref, undefined, { data: "delete" }).catch(() => {});
  });

  async function deploy(slug: string) {
    const port = await freePort();
    const { name, spec, secrets } = templateService(slug, port);
    const values = Object.fromEntries(secrets.map((s) => [s, randomBytes(18).toString("hex")]));
    const ref = { workflow: uniqueName(slug.slice(0, 8)), service: name };
    deployed.push(ref);
    const lines: string[] = [];
    const outcome = await deployRelease(
      runtime,
      {
        request: {
          ref,
          releaseId: "r1-tmpl",
          revision: { number: 1, hash: "c".repeat(64) },
          spec,
          secrets: values,
          hostPolicy: DEFAULT_HOST_POLICY,
        },
        autoRollback: true,
        keepReleases: 2,
        stateDir: tempDir("catalogue-state"),
      },
      { log: (_level, message) => lines.push(message), signal, deadline: Date.now() + spec.deadline * 1000 },
    );
    expect(outcome, lines.join("\n")).toMatchObject({ ok: true, activeReleaseId: "r1-tmpl" });
    // Every container with a Compose healthcheck reports healthy, not only Capstan's own checks.
    const health = await runtime.containerHealth(runtime.project(ref.workflow, ref.service));
    expect(health).toMatchObject({ ok: true });
    // No secret value reaches the deploy log.
    for (const value of Object.values(values)) expect(lines.join("\n")).not.toContain(value);
    return { port, values };
  }

  it("static-site serves its placeholder page over HTTP", async () => {
    const { port } = await deploy("static-site");
    const response = await fetch(`http://127.0.0.1:${port}/`);
    expect(response.status).toBe(200);
    expect(await response.text()).toContain("It works");
  });

  it("redis answers PING only after AUTH with the secret from the form", async () => {
    const { port, values } = await deploy("redis");
    expect(await redisSay(port, ["PING"], 1)).toMatch(/^-NOAUTH/);
    expect(await redisSay(port, ["AUTH wrong-password", "PING"], 2)).toMatch(/^-WRONGPASS[\s\S]*-NOAUTH/);
    expect(await redisSay(port, [`AUTH ${values.REDIS_PASSWORD}`, "PING"], 2)).toBe("+OK\r\n+PONG\r\n");
  });

  it("postgresql accepts the app user with the secret as its password, and nothing else", async () => {
    const { port, values } = await deploy("postgresql");
    const psql = (password: string) =>
      execFileSync(
        "psql",
        [
          "-h",
          "127.0.0.1",
          "-p",
          String(port),
          "-U",
          "app",
          "-d",
          "app",
          "-tAc",
          "select current_user || '@' || current_database()",
        ],
        {
          encoding: "utf8",
          env: { PATH: "/usr/bin:/bin", PGPASSWORD: password, PGCONNECT_TIMEOUT: "10" },
          stdio: ["ignore", "pipe", "pipe"],
        },
      ).trim();
    expect(psql(values.POSTGRES_PASSWORD!)).toBe("app@app");
    expect(() => psql("wrong-password")).toThrow(/password authentication failed/);
  });
});
