// The Compose side of release commands: a one-off container of one Compose service, created
// from the NEW release's compose file while the previous release keeps running.
import { randomBytes } from "node:crypto";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { isComposeService } from "@capstan/templates";
import { resolveReleaseService } from "@capstan/templates/workflow/check-release-commands";
import { parseWorkflowYaml } from "@capstan/templates/workflow/parse-workflow-yaml";
import type { DockerHost } from "../docker";
import type { ComposeRuntime } from "./compose";
import { runReleaseCommand } from "./release-command";
import type { StageRequest, StepContext } from "./types";

export async function runComposeRelease(
  runtime: ComposeRuntime,
  docker: DockerHost,
  request: StageRequest,
  ctx: StepContext,
): Promise<void> {
  const { ref, releaseId, spec } = request;
  if (!isComposeService(spec) || !spec.release) return;
  const release = spec.release;
  const dir = runtime.releaseDir(ref.workflow, ref.service, releaseId);
  // The rendered file is what runs (policy-checked on this host), so the service is taken from it.
  const parsed = parseWorkflowYaml(await readFile(join(dir, "compose.yaml"), "utf8"), { version: "1.1" });
  if (!parsed.ok) throw new Error(`release command: cannot read the new release's compose file`);
  const resolved = resolveReleaseService(parsed.parsed.value, release);
  if ("error" in resolved) throw new Error(`release command of ${runtime.label(ref)}: ${resolved.error}`);
  const name = `${runtime.label(ref)}-release-${randomBytes(6).toString("hex")}`;
  // Without --no-deps on purpose: a migration needs its database, so `run` starts the services
  // this one depends_on (and leaves running ones alone). --rm removes the container afterwards;
  // --name lets a cancel or timeout remove it even when the compose client is killed first.
  // -T: no TTY (the agent has none, and the output is streamed line by line).
  const args = ["run", "--rm", "-T", "--name", name, "--", resolved.service, ...release.command];
  const invocation = await runtime.composeCommand(ref, releaseId, args, ctx.signal, ctx.dockerConfig);
  await runReleaseCommand(
    `${runtime.label(ref)} (Compose service ${resolved.service})`,
    release,
    {
      ...invocation,
      kill: async () => {
        const engine = await docker.engine();
        await engine.getContainer(name).remove({ force: true });
      },
    },
    ctx,
  );
}
