// Scheduled tasks of Compose services against the real Docker Engine and compose client: the
// rendered oneshot unit's ExecStart= (read back from the unit text, unescaped as systemd does) with
// its EnvironmentFile runs a one-off container of the service's image with the task's argv; and
// on a host without systemd as PID 1 (this machine) a service with tasks is refused at staging,
// before anything is written.
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { composeServiceSpecSchema, DEFAULT_HOST_POLICY } from "@capstan/templates";
import { dockerEngine, dockerImage, requireComponents } from "@capstan/testkit";
import { afterAll, describe, expect, it } from "vitest";
import { removeComposeProject, tempDir, uniqueName } from "../../test/helpers";
import { DockerHost } from "../docker";
import { run } from "../exec";
import { writeFileAtomic } from "../state";
import { ComposeRuntime } from "./compose";
import { composeTaskUnits, TASKS_FILE } from "./compose-tasks";

const ok = requireComponents("compose tasks", dockerEngine(), dockerImage("capstan-busybox:test"));

/** ExecStart= as systemd splits and unescapes it (only the escapes quoteExecArgument writes). */
function execStart(unit: string): string[] {
  const line = /^ExecStart=(.*)$/m.exec(unit)![1]!;
  const [program, rest] = [line.slice(0, line.indexOf(" ")), line.slice(line.indexOf(" ") + 1)];
  const args = [...rest.matchAll(/"((?:[^"\\]|\\.)*)"/g)].map((m) =>
    m[1]!.replace(/\\(.)/g, "$1").replace(/\$\$/g, "$").replace(/%%/g, "%"),
  );
  return [program.replace(/%%/g, "%"), ...args];
}

/** An EnvironmentFile as systemd reads the single-quoted values renderEnvironmentFile writes. */
function environmentFile(path: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const line of readFileSync(path, "utf8").split("\n")) {
    const m = /^([A-Za-z_][A-Za-z0-9_]*)='(.*)'$/.exec(line);
    if (m) env[m[1]!] = m[2]!;
  }
  return env;
}

const spec = (tasks: Record<string, unknown>) =>
  composeServiceSpecSchema.parse({
    compose: {
      inline: {
        services: {
          web: {
            image: "capstan-busybox:test",
            command: ["sleep", "3600"],
            environment: { GREETING: "${GREETING}" },
          },
        },
      },
    },
    env: { GREETING: "hello from env" },
    tasks,
  });

describe.skipIf(!ok)("compose scheduled tasks (real Docker)", { timeout: 180_000 }, () => {
  const workflow = uniqueName("cmt");
  const service = "app";
  const runtime = new ComposeRuntime(
    tempDir("compose-tasks"),
    new DockerHost("/var/run/docker.sock", false),
    { PATH: "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin" },
    undefined,
    tempDir("compose-task-units"),
  );
  const ref = { workflow, service };
  const ctx = {
    log: () => undefined,
    signal: new AbortController().signal,
    deadline: Date.now() + 120_000,
  };
  const request = (releaseId: string, tasks: Record<string, unknown>) => ({
    ref,
    releaseId,
    revision: { number: 1, hash: "a".repeat(64) },
    spec: spec(tasks),
    secrets: {},
    hostPolicy: DEFAULT_HOST_POLICY,
  });

  afterAll(() => removeComposeProject(runtime.project(workflow, service)));

  it("renders a unit whose command runs a one-off container of the service with the task's argv", async () => {
    await runtime.stage(request("r1-aaaa", {}), ctx);
    // The task as activation would find it (staging it on this machine is refused: see below).
    const dir = runtime.releaseDir(workflow, service, "r1-aaaa");
    const argv = ["sh", "-c", 'echo "task says: $GREETING; $0"', "a b;c $HOME %n"];
    writeFileAtomic(
      join(dir, TASKS_FILE),
      JSON.stringify({
        greet: { schedule: "hourly", command: argv, timeoutSeconds: 60, notifyOnFailure: false },
      }),
    );
    const [units] = await composeTaskUnits(runtime, ref, "r1-aaaa", ctx.signal);
    expect(units!.base).toBe(`capstan-${workflow}-${service}.task-greet`);
    expect(units!.timer).toContain("OnCalendar=hourly\n");
    const [program, ...args] = execStart(units!.service);
    expect(program).toMatch(/^\//);
    expect(args).toContain("--no-deps");
    expect(args.slice(-4)).toEqual(argv);
    const envFile = /^EnvironmentFile=(.*)$/m.exec(units!.service)![1]!;
    const cwd = /^WorkingDirectory=(.*)$/m.exec(units!.service)![1]!;
    const result = await run(program!, args, { env: environmentFile(envFile), cwd, timeoutMs: 120_000 });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout.trim()).toBe("task says: hello from env; a b;c $HOME %n");
  });

  it.skipIf(existsSync("/run/systemd/system"))(
    "refuses a service with tasks at staging on a host without systemd as PID 1, writing nothing",
    async () => {
      await expect(
        runtime.stage(request("r2-bbbb", { greet: { schedule: "hourly", command: ["true"] } }), ctx),
      ).rejects.toThrow("scheduled tasks need systemd as PID 1, and this host has none");
      expect(existsSync(runtime.releaseDir(workflow, service, "r2-bbbb"))).toBe(false);
    },
  );
});
