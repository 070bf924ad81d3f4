// Private registries: per deploy, the agent logs in with `docker login --password-stdin` into a
// fresh DOCKER_CONFIG folder (0700) that only this job's compose calls see, and deletes it when
// the step is over (also on failure or cancel). The password goes to docker on stdin only: never
// in argv (visible in /proc to every user), the environment, a log line or an error.
import { chmod, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { JobRegistry } from "@capstan/protocol";
import { run, tail } from "../exec";
import type { DeployLog } from "./types";

export interface RegistrySession {
  /** The DOCKER_CONFIG folder holding this deploy's credentials. */
  dockerConfig: string;
  /** Deletes the folder; safe to call twice. */
  dispose(): Promise<void>;
}

/** Replaces every occurrence of the given secrets in text (defence in depth for messages). */
export function redact(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const secret of secrets) if (secret) out = out.split(secret).join("[redacted]");
  return out;
}

export async function loginToRegistries(
  registries: readonly JobRegistry[],
  options: { env: NodeJS.ProcessEnv; log: DeployLog; signal?: AbortSignal },
): Promise<RegistrySession> {
  const dockerConfig = await mkdtemp(join(tmpdir(), "capstan-docker-config-"));
  const dispose = () => rm(dockerConfig, { recursive: true, force: true });
  const passwords = registries.map((r) => r.password);
  try {
    await chmod(dockerConfig, 0o700);
    // An auths entry per server before login: the docker CLI then keeps credentials in this
    // file instead of a host-wide credential helper (it only picks a default helper such as
    // `pass` or `secretservice` for a config without any auths), so deleting the folder deletes them.
    const auths = Object.fromEntries(registries.map((r) => [r.server, {}]));
    await writeFile(join(dockerConfig, "config.json"), JSON.stringify({ auths }), { mode: 0o600 });
    for (const registry of registries) {
      const result = await run(
        "docker",
        ["login", "--username", registry.username, "--password-stdin", registry.server],
        {
          env: { ...options.env, DOCKER_CONFIG: dockerConfig },
          input: registry.password,
          signal: options.signal,
          timeoutMs: 120_000,
        },
      );
      if (result.code !== 0) {
        const why = redact(tail(result.stderr || result.stdout, 400), passwords);
        throw new Error(
          `docker login to registry ${registry.server} as ${registry.username} failed (exit ${result.code}): ${why}; check the workflow's \`registries\` entry and its password secret`,
        );
      }
      options.log(
        "info",
        `registry: logged in to ${registry.server} as ${registry.username} for this deploy`,
      );
    }
  } catch (error) {
    await dispose();
    throw new Error(redact((error as Error).message, passwords));
  }
  return { dockerConfig, dispose };
}

/** Adds what to do when a pull failed because the registry wants credentials. */
export function explainPullFailure(message: string): string {
  if (
    !/no basic auth credentials|unauthorized|authentication required|pull access denied|denied:/i.test(
      message,
    )
  )
    return message;
  return `${message} (the image's registry refused the pull without valid credentials: add the registry with a username and password secret under the workflow's \`registries:\`)`;
}
