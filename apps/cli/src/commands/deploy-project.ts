// `capstan deploy` in a project folder: validate capstan.yaml (its `compose.file`s stay paths into
// the folder), pack the folder as a bundle, upload it, and name it in the deployment request, so
// the revision carries the project's files (env files, config files, build contexts).
import { existsSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { endpoints } from "@capstan/protocol/public-api/endpoints";
import type { Io } from "../main";
import { type ApiConfig, CliError, callApi, EXIT } from "./api-client";
import { loadWorkflow, readWorkflowFile } from "./load-workflow";
import { PackError, packProject } from "./pack-project";

const WORKFLOW_FILE = "capstan.yaml";

/** The project folder to pack: a folder argument, or the current folder when it holds capstan.yaml. */
export function projectFolder(file: string | undefined, workflow: string | undefined): string | null {
  if (file !== undefined) return existsSync(file) && statSync(file).isDirectory() ? file : null;
  if (workflow !== undefined) return null;
  return existsSync(WORKFLOW_FILE) ? "." : null;
}

const size = (bytes: number) =>
  bytes >= 1024 * 1024 ? `${(bytes / 1024 / 1024).toFixed(1)} MiB` : `${Math.ceil(bytes / 1024)} KiB`;

/** Reads and validates a capstan.yaml for deploying; refuses (exit 4) with every issue. */
export function loadForDeploy(file: string, options: { keepComposeFiles?: boolean } = {}) {
  let source: string;
  let result: ReturnType<typeof loadWorkflow>;
  try {
    source = readWorkflowFile(file);
    result = loadWorkflow(file, undefined, options);
  } catch (error) {
    throw new CliError(`cannot read ${file}: ${(error as Error).message}`, EXIT.USAGE);
  }
  if (!result.ok)
    throw new CliError(
      `${result.issues.length} error${result.issues.length === 1 ? "" : "s"} in ${file}; nothing was deployed`,
      EXIT.REFUSED,
      result.issues,
    );
  return { source, result };
}

/** Validates, packs and uploads the folder; returns the createDeployment body. */
export async function uploadProject(
  config: ApiConfig,
  io: Io,
  dir: string,
  extra: { workflow?: string; message?: string },
): Promise<Record<string, unknown>> {
  const file = join(dir, WORKFLOW_FILE);
  const { source } = loadForDeploy(file, { keepComposeFiles: true });
  let packed: Awaited<ReturnType<typeof packProject>>;
  try {
    packed = await packProject(dir);
  } catch (error) {
    if (error instanceof PackError) throw new CliError(`cannot pack ${dir}: ${error.message}`, EXIT.USAGE);
    throw error;
  }
  const shown = relative(".", dir) || ".";
  io.out(
    `packed ${shown}: ${packed.files} files, ${size(packed.unpackedBytes)} (${size(packed.data.byteLength)} compressed)\n`,
  );
  if (packed.ignored.length > 0)
    io.out(
      `  left out by .gitignore/.capstanignore: ${packed.ignored.slice(0, 8).join(", ")}${packed.ignored.length > 8 ? `, and ${packed.ignored.length - 8} more` : ""}\n`,
    );
  const uploaded = await callApi(config, endpoints.uploadBundle, { raw: packed.data });
  io.out(`uploaded bundle ${uploaded.body.sha256.slice(0, 12)} (${uploaded.body.entries} entries)\n`);
  return {
    yaml: source,
    bundle: uploaded.body.sha256,
    ...(extra.workflow ? { workflow: extra.workflow } : {}),
    ...(extra.message ? { message: extra.message } : {}),
  };
}
