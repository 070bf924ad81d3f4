// Turns a job's ServiceSpec into the files the runtimes write, with the renderers of
// packages/templates; this module only adapts them to the agent's paths.

import type { ComposeServiceSpec, HostPolicy, SystemdServiceSpec } from "@capstan/templates";
import { renderComposeProject } from "@capstan/templates/compose/render-compose-project";
import { renderEnvironmentFile } from "@capstan/templates/systemd/render-environment-file";
import { renderSystemdUnit } from "@capstan/templates/systemd/render-systemd-unit";
import { checkComposePolicy } from "@capstan/templates/workflow/check-compose-policy";
import type { ComposeFiles } from "./runtimes/compose";
import type { SystemdPaths } from "./runtimes/systemd";

export interface ComposeRenderInput {
  workflow: string;
  service: string;
  spec: ComposeServiceSpec;
  secrets: Record<string, string>;
  hostPolicy: HostPolicy;
}

export interface SystemdRenderInput {
  workflow: string;
  service: string;
  spec: SystemdServiceSpec;
  secrets: Record<string, string>;
  note?: string;
}

export interface RenderedSystemd {
  env: string;
  unit(paths: SystemdPaths, omitDirectives: readonly string[]): string;
}

export interface Renderer {
  compose(input: ComposeRenderInput): ComposeFiles;
  systemd(input: SystemdRenderInput): RenderedSystemd;
}

function pickSecrets(names: readonly string[], secrets: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of names) {
    const value = secrets[name];
    // A missing secret fails the deploy; it never deploys an empty value.
    if (value === undefined) throw new Error(`secret ${name} has no value`);
    out[name] = value;
  }
  return out;
}

export const renderer: Renderer = {
  compose(input) {
    // The control plane checked the policy when it planned the job; the host checks again, since
    // the policy is the host admin's promise and a compromised control plane must not break it.
    const issues = checkComposePolicy(input.spec.compose.inline ?? {}, input.hostPolicy);
    if (issues.length) {
      const first = issues.slice(0, 3).map((i) => `${i.path.join(".")}: ${i.message}`);
      throw new Error(`refused by this host's policy: ${first.join("; ")}`);
    }
    const files = renderComposeProject(input);
    return { compose: files.compose, env: files.env, processEnv: files.processEnv };
  },
  systemd(input) {
    const env = renderEnvironmentFile(input.spec.env, pickSecrets(input.spec.secrets, input.secrets));
    return {
      env,
      unit: (paths, omitDirectives) =>
        renderSystemdUnit({
          workflow: input.workflow,
          service: input.service,
          spec: input.spec,
          serviceDir: paths.serviceDir,
          environmentFile: paths.envFile,
          omitDirectives,
          note: input.note,
        }),
    };
  },
};
