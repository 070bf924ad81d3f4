// Injection corpus against every name and value the agent uses: names are refused before they
// reach a path, unit or project; values reach files and processes inert (byte-exact) or are
// refused; no marker file ever appears.
import { existsSync } from "node:fs";
import { join } from "node:path";
import { composeServiceSpecSchema, DEFAULT_HOST_POLICY } from "@capstan/templates";
import { dockerEngine, dockerImage, requireComponents } from "@capstan/testkit";
import { afterAll, describe, expect, it } from "vitest";
import { freePort, removeComposeProject, tempDir, uniqueName } from "../test/helpers";
import { ConfigError, loadConfig } from "./config";
import { DockerHost } from "./docker";
import { assertName, releaseIdFor } from "./names";
import { ComposeRuntime } from "./runtimes/compose";
import { deployRelease } from "./runtimes/deploy-release";
import { SystemdRuntime } from "./runtimes/systemd";
import { StateStore } from "./state";

const marker = join(tempDir("injection"), "pwned");
export const CORPUS = [
  `$(touch ${marker})`,
  `\`touch ${marker}\``,
  `; touch ${marker}`,
  `| touch ${marker}`,
  `&& touch ${marker}`,
  "line\ntouch-newline",
  "%s%n%h",
  "../../etc/passwd",
  "nul\0byte",
  "--help",
  "-rf",
  "${HOME}",
  "'quote\"",
  "a\\b",
];

describe("names", () => {
  const store = new StateStore(tempDir("injection-state"));
  const compose = new ComposeRuntime(
    tempDir("injection-compose"),
    new DockerHost("/nonexistent.sock", false),
  );
  const systemd = new SystemdRuntime(tempDir("injection-systemd"), tempDir("injection-units"));

  it.each(CORPUS)("refuses %j as a workflow, service or release name", (bad) => {
    expect(() => assertName(bad, "name")).toThrow();
    expect(() => compose.project(bad, "web")).toThrow();
    expect(() => compose.project("wf", bad)).toThrow();
    expect(() => systemd.unitName(bad, "api")).toThrow();
    expect(() => systemd.paths("wf", "api", bad)).toThrow();
    expect(() => store.getService(bad, "x")).toThrow();
    expect(() => store.saveInflight({ jobId: bad } as never)).toThrow();
    expect(existsSync(marker)).toBe(false);
  });

  it("derives release ids that are always safe names", () => {
    for (const bad of CORPUS) {
      let id: string | undefined;
      try {
        id = releaseIdFor(bad, 3);
      } catch {
        id = undefined;
      }
      if (id !== undefined) expect(id).toMatch(/^[a-z0-9][a-z0-9-]{0,62}$/);
    }
  });

  it("refuses corpus values in the agent's own configuration", () => {
    for (const bad of CORPUS) {
      for (const key of ["CAPSTAN_HOST_NAME", "CAPSTAN_ENROLLMENT_TOKEN", "CAPSTAN_LABELS", "CAPSTAN_URL"]) {
        const env = { CAPSTAN_CONFIG_FILE: "/nonexistent", CAPSTAN_URL: "https://cp.example", [key]: bad };
        expect(() => loadConfig(env), `${key}=${JSON.stringify(bad)}`).toThrow(ConfigError);
      }
    }
  });
});

const ok = requireComponents(
  "injection (compose values)",
  dockerEngine(),
  dockerImage("capstan-busybox:test"),
);

describe.skipIf(!ok)("values through a real compose deploy", () => {
  const workflow = uniqueName("inj");
  const runtime = new ComposeRuntime(tempDir("inj-compose"), new DockerHost("/var/run/docker.sock", false), {
    PATH: "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
  });
  afterAll(() => removeComposeProject(runtime.project(workflow, "web")));

  it("passes every single-line value byte-exact and refuses the rest", async () => {
    const port = await freePort();
    const singleLine = CORPUS.filter((v) => !/[\n\0]/.test(v));
    const env: Record<string, string> = {};
    const environment: Record<string, string> = {};
    singleLine.forEach((value, i) => {
      env[`V${i}`] = value;
      environment[`V${i}`] = `\${V${i}}`;
    });
    const spec = composeServiceSpecSchema.parse({
      compose: {
        inline: {
          services: {
            web: {
              image: "capstan-busybox:test",
              environment,
              command: ["sh", "-c", "mkdir -p /www && env > /www/env.txt && exec httpd -f -p 8080 -h /www"],
              ports: [`127.0.0.1:${port}:8080`],
            },
          },
        },
      },
      env,
      healthChecks: [{ http: { url: `http://127.0.0.1:${port}/env.txt` } }],
      deadline: 60,
    });
    const outcome = await deployRelease(
      runtime,
      {
        request: {
          ref: { workflow, service: "web" },
          releaseId: "r1-inj",
          revision: { number: 1, hash: "a".repeat(64) },
          spec,
          secrets: {},
          hostPolicy: DEFAULT_HOST_POLICY,
        },
        autoRollback: false,
        keepReleases: 3,
        stateDir: tempDir("inj-state"),
      },
      { log: () => {}, signal: new AbortController().signal, deadline: Date.now() + 60_000 },
    );
    expect(outcome.ok, outcome.message).toBe(true);
    const seen = await (await fetch(`http://127.0.0.1:${port}/env.txt`)).text();
    singleLine.forEach((value, i) => {
      expect(seen).toContain(`V${i}=${value}\n`);
    });
    expect(existsSync(marker)).toBe(false);
    // Newlines and NUL cannot be made safe in every consumer: the schema refuses them.
    for (const bad of CORPUS.filter((v) => /[\n\0]/.test(v))) {
      expect(composeServiceSpecSchema.safeParse({ ...spec, env: { X: bad } }).success).toBe(false);
    }
  });
});
