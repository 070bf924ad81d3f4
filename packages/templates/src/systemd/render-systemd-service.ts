// Everything the agent writes for one systemd service: the unit (a function of the host paths,
// which only the agent knows) and the EnvironmentFile with env and secret values.

import type { SystemdServiceSpec } from "../workflow/spec";
import { serviceUnitName } from "../workflow/spec";
import { RenderError } from "./escape";
import { renderEnvironmentFile } from "./render-environment-file";
import { renderSystemdUnit } from "./render-systemd-unit";

export interface RenderSystemdServiceInput {
  workflow: string;
  service: string;
  spec: SystemdServiceSpec;
  /** Resolved values of the secrets the service names. */
  secrets: Record<string, string>;
}

export interface SystemdHostPaths {
  serviceDir: string;
  environmentFile: string;
  omitDirectives?: readonly string[];
  note?: string;
}

export function renderSystemdService(input: RenderSystemdServiceInput): {
  unitName: string;
  environment: string;
  unit: (paths: SystemdHostPaths) => string;
} {
  const secrets: Record<string, string> = {};
  for (const name of input.spec.secrets) {
    const value = input.secrets[name];
    // A missing secret fails the deploy; it never deploys an empty value (DESIGN.md).
    if (value === undefined) throw new RenderError(`secret ${name} has no value`);
    secrets[name] = value;
  }
  const environment = renderEnvironmentFile(input.spec.env, secrets);
  return {
    unitName: serviceUnitName(input.workflow, input.service),
    environment,
    unit: (paths) =>
      renderSystemdUnit({ workflow: input.workflow, service: input.service, spec: input.spec, ...paths }),
  };
}
