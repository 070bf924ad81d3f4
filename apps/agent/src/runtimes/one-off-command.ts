// One-off commands (`capstan run`): argv in the service's context, never as the agent. Compose: a
// new container of the running release's service (`compose run --rm --no-deps`: its image, env
// and networks, not its dependencies); systemd and Nix: a transient unit made from the unit in
// place (user, hardening, environment file, working directory). Output streams into the job's log.
import { randomBytes } from "node:crypto";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import type { OneOffCommand } from "@capstan/protocol";
import { resolveReleaseService } from "@capstan/templates/workflow/check-release-commands";
import { parseWorkflowYaml } from "@capstan/templates/workflow/parse-workflow-yaml";
import type { DockerHost } from "../docker";
import type { ComposeRuntime } from "./compose";
import { type StreamedCommand, streamCommand } from "./release-command";
import type { ServiceRef, StepContext } from "./types";
import { unitInvocation } from "./unit-release";

/** Compose's own progress lines on stderr (v1 "Creating x ... done", v2 "Container x Created"): not the command's output. */
const COMPOSE_PROGRESS =
  /^(?:(?:Creating|Starting) \S+ \.\.\. ?(?:done)?|Creating network "\S+" with the default driver|\s*(?:Container|Network|Volume) \S+\s+(?:Creating|Created|Starting|Started))$/;

/** The Compose service a command runs in: the one named like the Capstan service, else the only (or built) one. */
function pickComposeService(document: unknown, service: string): { service: string } | { error: string } {
  const services = (document as { services?: Record<string, unknown> } | null)?.services ?? {};
  return service in services ? { service } : resolveReleaseService(document, {});
}

export async function runInComposeService(
  runtime: ComposeRuntime,
  docker: DockerHost,
  ref: ServiceRef,
  command: OneOffCommand,
  ctx: StepContext,
): Promise<StreamedCommand> {
  const releaseId = await runtime.currentRelease(ref);
  if (!releaseId) throw new Error(`${runtime.label(ref)} has no running release to run a command in`);
  const dir = runtime.releaseDir(ref.workflow, ref.service, releaseId);
  const parsed = parseWorkflowYaml(await readFile(join(dir, "compose.yaml"), "utf8"), { version: "1.1" });
  if (!parsed.ok) throw new Error(`cannot read the compose file of release ${releaseId}`);
  const picked = pickComposeService(parsed.parsed.value, ref.service);
  if ("error" in picked) throw new Error(`run in ${runtime.label(ref)}: ${picked.error}`);
  const name = `${runtime.label(ref)}-run-${randomBytes(6).toString("hex")}`;
  // `--` ends compose's options: every word after the service is the command's, one argument each.
  const args = ["run", "--rm", "--no-deps", "-T", "--name", name, "--", picked.service, ...command.argv];
  const invocation = await runtime.composeCommand(ref, releaseId, args, ctx.signal);

  ctx.log(
    "info",
    `one-off command in a new container of ${runtime.label(ref)} (Compose service ${picked.service})`,
  );
  return streamCommand(
    {
      ...invocation,
      chatter: COMPOSE_PROGRESS,
      kill: async () => {
        const engine = await docker.engine();
        await engine.getContainer(name).remove({ force: true });
      },
    },
    command.timeoutSeconds * 1000,
    "run",
    ctx,
  );
}

/** For systemd and Nix: a transient unit from the installed unit (`unitPath`). */
export async function runInUnit(
  unit: string,
  unitPath: string,
  sandbox: (unitText: string) => string[],
  command: OneOffCommand,
  ctx: StepContext,
): Promise<StreamedCommand> {
  const unitText = await readFile(unitPath, "utf8").catch(() => {
    throw new Error(`${unit} is not installed on this host`);
  });
  ctx.log("info", `one-off command in a transient unit with the user and sandbox of ${unit}`);
  const invocation = unitInvocation(
    { unit, unitText, sandbox: sandbox(unitText), argv: command.argv },
    "run",
    command.timeoutSeconds,
  );
  return streamCommand(invocation, command.timeoutSeconds * 1000, "run", ctx);
}
