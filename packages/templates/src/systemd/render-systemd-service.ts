// Everything the agent writes for one systemd service: the unit (a function of the host paths,
// which only the agent knows) and the EnvironmentFile with env and secret values.

import type { ServiceSpec, SystemdServiceSpec } from "../workflow/spec";
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

/** The EnvironmentFile of a unit-backed service (systemd or nix): its env plus the secrets it names. */
export function renderServiceEnvironment(
  spec: Pick<ServiceSpec, "env" | "secrets">,
  values: Record<string, string>,
): string {
  const secrets: Record<string, string> = {};
  for (const name of spec.secrets) {
    const value = values[name];
    // A missing secret fails the deploy; it never deploys an empty value (DESIGN.md).
    if (value === undefined) throw new RenderError(`secret ${name} has no value`);
    secrets[name] = value;
  }
  return renderEnvironmentFile(spec.env, secrets);
}

export function renderSystemdService(input: RenderSystemdServiceInput): {
  unitName: string;
  environment: string;
  unit: (paths: SystemdHostPaths) => string;
} {
  return {
    unitName: serviceUnitName(input.workflow, input.service),
    environment: renderServiceEnvironment(input.spec, input.secrets),
    unit: (paths) =>
      renderSystemdUnit({ workflow: input.workflow, service: input.service, spec: input.spec, ...paths }),
  };
}
