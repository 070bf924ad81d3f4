// Deploy logs that explain, against the real Docker Engine and docker-compose: the output of
// `compose up` is in the deploy log, and when a service fails its health gate its own last log
// lines follow, with the workflow's secret values masked in the log and in the step's message.

import { maskSecrets } from "@capstan/protocol";
import { composeServiceSpecSchema, DEFAULT_HOST_POLICY } from "@capstan/templates";
import { dockerEngine, dockerImage, requireComponents } from "@capstan/testkit";
import { afterAll, describe, expect, it } from "vitest";
import { removeComposeProject, tempDir, uniqueName } from "../../test/helpers";
import { DockerHost } from "../docker";
import { runChecked } from "../exec";
import { ComposeRuntime } from "./compose";
import { deployRelease } from "./deploy-release";

const ok = requireComponents("deploy log", dockerEngine(), dockerImage("capstan-busybox:test"));

describe("maskSecrets", () => {
  it("masks every non-empty value, the longest first", () => {
    const secrets = { A: "abc", B: "abcdef", EMPTY: "" };
    expect(maskSecrets("x abcdef y abc z", secrets)).toBe("x *** y *** z");
    expect(maskSecrets("nothing here", secrets)).toBe("nothing here");
  });
});

describe("command errors", () => {
  it("name the full command once, with its exit code and output", async () => {
    await expect(runChecked("sh", ["-c", "echo boom >&2; exit 3", "arg0", "extra"])).rejects.toThrow(
      /^`sh -c echo boom >&2; exit 3 arg0 extra` exited with 3: boom$/,
    );
  });
});

describe.skipIf(!ok)("deploy log of a failing compose service (real Docker)", () => {
  const workflow = uniqueName("dlog");
  const service = "web";
  const runtime = new ComposeRuntime(tempDir("deploy-log"), new DockerHost("/var/run/docker.sock", false), {
    PATH: "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
  });
  const project = runtime.project(workflow, service);
  const secret = `tok-${Math.random().toString(36).slice(2)}-value`;
  const known = `known-line-${Math.random().toString(36).slice(2, 8)}`;

  afterAll(() => removeComposeProject(project));

  it("quotes compose output and the service's last lines, secrets masked", async () => {
    const spec = composeServiceSpecSchema.parse({
      compose: {
        inline: {
          services: {
            web: {
              image: "capstan-busybox:test",
              command: ["sh", "-c", `echo ${known}; echo "token is \${API_TOKEN}"; exec sleep 3600`],
              healthcheck: { test: ["CMD", "sh", "-c", "exit 1"], interval: "1s", timeout: "2s", retries: 1 },
            },
          },
        },
      },
      secrets: ["API_TOKEN"],
      healthChecks: [],
      deadline: 10,
    });
    const lines: string[] = [];
    const outcome = await deployRelease(
      runtime,
      {
        request: {
          ref: { workflow, service },
          releaseId: "r1-dlog",
          revision: { number: 1, hash: "a".repeat(64) },
          spec,
          secrets: { API_TOKEN: secret },
          hostPolicy: DEFAULT_HOST_POLICY,
        },
        autoRollback: true,
        keepReleases: 3,
        stateDir: tempDir("deploy-log-state"),
      },
      {
        log: (level, message) => lines.push(`${level}: ${message}`),
        signal: new AbortController().signal,
        deadline: Date.now() + 10_000,
      },
    );
    const text = lines.join("\n");
    expect(outcome.ok, text).toBe(false);
    expect(outcome.message).toMatch(/deadline passed: .*(unhealthy|starting)/);
    // What `compose up` printed (docker-compose v1 writes "Creating ..." to stderr).
    expect(
      lines.some((l) => /^info: compose up: .*\S/.test(l)),
      text,
    ).toBe(true);
    // The service's own lines, after the failure is announced, the secret masked.
    const failedAt = lines.findIndex((l) =>
      l.startsWith(`error: compose: ${project} release r1-dlog failed`),
    );
    expect(failedAt, text).toBeGreaterThanOrEqual(0);
    const after = lines.slice(failedAt);
    expect(
      after.some((l) => l.includes(`web: ${known}`)),
      text,
    ).toBe(true);
    expect(
      after.some((l) => l.includes("web: token is ***")),
      text,
    ).toBe(true);
    expect(text).not.toContain(secret);
    expect(outcome.message).not.toContain(secret);
    // The failure is said once: in the step's message, not again as a log line.
    expect(lines.filter((l) => l.includes("deadline passed"))).toEqual([]);
  });
});
