// The Compose side of scheduled tasks: each run is `compose run --rm --no-deps -T <service> argv`
// of the release that is active, a one-off container of the service's image, settings and
// environment from the compose file this host already checked against its policy. The unit runs
// the compose client (it needs the Docker socket, as the agent's own compose calls do) with the
// environment the agent gives compose, from a 0600 EnvironmentFile in the release folder.
import { existsSync, readFileSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { delimiter, isAbsolute, join } from "node:path";
import { escapePath, renderEnvironmentFile, renderTaskUnits, type TaskSpec } from "@capstan/templates";
import { resolveReleaseService } from "@capstan/templates/workflow/check-release-commands";
import { parseWorkflowYaml } from "@capstan/templates/workflow/parse-workflow-yaml";
import { writeFileAtomic } from "../state";
import type { ComposeRuntime } from "./compose";
import type { SavedTask } from "./task-timers";
import type { ServiceRef } from "./types";

export const TASKS_FILE = "tasks.json";

export function readSavedTaskSpecs(releaseDir: string): Record<string, TaskSpec> {
  const path = join(releaseDir, TASKS_FILE);
  return existsSync(path) ? (JSON.parse(readFileSync(path, "utf8")) as Record<string, TaskSpec>) : {};
}

/** A unit's ExecStart= needs an absolute program: the one compose would run, found on its PATH. */
function absoluteProgram(program: string, path: string | undefined): string {
  if (isAbsolute(program)) return program;
  for (const dir of (path ?? "/usr/local/bin:/usr/bin:/bin").split(delimiter)) {
    if (isAbsolute(dir) && existsSync(join(dir, program))) return join(dir, program);
  }
  throw new Error(`cannot find ${program} on the PATH to run scheduled tasks`);
}

export async function composeTaskUnits(
  runtime: ComposeRuntime,
  ref: ServiceRef,
  releaseId: string,
  signal?: AbortSignal,
): Promise<SavedTask[]> {
  const dir = runtime.releaseDir(ref.workflow, ref.service, releaseId);
  const specs = Object.entries(readSavedTaskSpecs(dir));
  if (specs.length === 0) return [];
  const parsed = parseWorkflowYaml(await readFile(join(dir, "compose.yaml"), "utf8"), { version: "1.1" });
  if (!parsed.ok) throw new Error("scheduled tasks: cannot read the release's compose file");
  const envFile = join(dir, "task.env");
  const tasks: SavedTask[] = [];
  for (const [task, spec] of specs) {
    const resolved = resolveReleaseService(parsed.parsed.value, spec);
    if ("error" in resolved) throw new Error(`task ${task} of ${runtime.label(ref)}: ${resolved.error}`);
    const args = ["run", "--rm", "--no-deps", "-T", "--", resolved.service, ...spec.command];
    const command = await runtime.composeCommand(ref, releaseId, args, signal);
    const env = Object.fromEntries(
      Object.entries(command.env).filter((e): e is [string, string] => typeof e[1] === "string"),
    );
    writeFileAtomic(envFile, renderEnvironmentFile(env), 0o600);
    const units = renderTaskUnits({
      ...ref,
      task,
      spec,
      argv: [absoluteProgram(command.program, env.PATH), ...command.args],
      serviceSettings: [
        `WorkingDirectory=${escapePath(command.cwd, "release folder")}`,
        `EnvironmentFile=${escapePath(envFile, "task environment file")}`,
      ],
    });
    tasks.push({ ...units, schedule: spec.schedule });
  }
  return tasks;
}
