// Reads a capstan.yaml and validates it with the same code the control plane runs. Compose
// files named by `compose.file` are read from the workflow's folder, never outside it.
import { readFileSync, realpathSync, statSync } from "node:fs";
import { dirname, resolve, sep } from "node:path";
import { type HostPolicy, hostPolicySchema } from "@capstan/templates";
import { MAX_YAML_BYTES } from "@capstan/templates/workflow/parse-workflow-yaml";
import { type ValidateWorkflowResult, validateWorkflow } from "@capstan/templates/workflow/validate-workflow";

export function readWorkflowFile(path: string): string {
  const info = statSync(path);
  if (info.isDirectory())
    throw new Error(`${path} is a folder: pass the workflow file, e.g. ${path}/capstan.yaml`);
  // Refuse before reading a huge file into memory.
  if (info.size > MAX_YAML_BYTES) throw new Error(`${path} is larger than ${MAX_YAML_BYTES} bytes`);
  return readFileSync(path, "utf8");
}

/**
 * `keepComposeFiles`: the folder is deployed as a bundle, so `compose.file` stays a path into it
 * (the file must still exist and parse) instead of being inlined.
 */
export function loadWorkflow(
  path: string,
  policy?: HostPolicy,
  options: { keepComposeFiles?: boolean } = {},
): ValidateWorkflowResult {
  const source = readWorkflowFile(path);
  const root = realpathSync(dirname(resolve(path)));
  return validateWorkflow(source, {
    policy,
    keepComposeFiles: options.keepComposeFiles,
    readFile: (relative) => {
      try {
        const full = realpathSync(resolve(root, relative));
        if (!full.startsWith(root + sep)) return undefined;
        return readWorkflowFile(full);
      } catch {
        return undefined;
      }
    },
  });
}

export function readPolicy(path: string | undefined, skip: boolean): HostPolicy | undefined {
  if (skip) return undefined;
  if (!path) return hostPolicySchema.parse({});
  return hostPolicySchema.parse(JSON.parse(readFileSync(path, "utf8")));
}
