// The unit of a `nix` service: the systemd unit renderer (same hardening, escaping and
// EnvironmentFile) over a systemd spec whose program and working directory point into the built
// package, so ExecStart= is inside the store path and rollback is just the previous unit.
import { type NixServiceSpec, type SystemdServiceSpec, serviceUnitName } from "../workflow/spec";
import { escapePath, RenderError } from "./escape";
import { renderServiceEnvironment } from "./render-systemd-service";
import { renderSystemdUnit } from "./render-systemd-unit";

export interface NixHostPaths {
  /** The built package: a /nix/store path (the agent) or an out-link to one. */
  packageRoot: string;
  /** The service's folder on the host (releases/, current). */
  serviceDir: string;
  /** Absolute path of the EnvironmentFile (written 0600 by the agent). */
  environmentFile: string;
  omitDirectives?: readonly string[];
  note?: string;
}

function inPackage(packageRoot: string, path: string, what: string): string {
  if (path.startsWith("/")) return path;
  if (path.split("/").includes("..")) throw new RenderError(`${what} must not contain '..'`);
  return `${escapePath(packageRoot, "packageRoot").replace(/\/+$/, "")}/${path}`;
}

/** The systemd spec a nix service runs as, once its package is built at `packageRoot`. */
export function nixUnitSpec(spec: NixServiceSpec, packageRoot: string): SystemdServiceSpec {
  const { nix, ...common } = spec;
  const { flake: _flake, attribute: _attribute, exec, workingDirectory, ...unit } = nix;
  const [program, ...args] = exec;
  if (program === undefined) throw new RenderError("exec must name a program");
  if (program.startsWith("/")) throw new RenderError("exec[0] must be a path inside the built package");
  return {
    ...common,
    systemd: {
      ...unit,
      exec: [inPackage(packageRoot, program, "exec[0]"), ...args],
      workingDirectory:
        workingDirectory === undefined
          ? undefined
          : inPackage(packageRoot, workingDirectory, "workingDirectory"),
    },
  };
}

export function renderNixUnit(
  input: { workflow: string; service: string; spec: NixServiceSpec } & NixHostPaths,
): string {
  const { packageRoot, spec, ...rest } = input;
  return renderSystemdUnit({ ...rest, spec: nixUnitSpec(spec, packageRoot) });
}

export function renderNixService(input: {
  workflow: string;
  service: string;
  spec: NixServiceSpec;
  /** Resolved values of the secrets the service names. */
  secrets: Record<string, string>;
}): { unitName: string; environment: string; unit: (paths: NixHostPaths) => string } {
  const { workflow, service, spec } = input;
  return {
    unitName: serviceUnitName(workflow, service),
    environment: renderServiceEnvironment(spec, input.secrets),
    unit: (paths) => renderNixUnit({ workflow, service, spec, ...paths }),
  };
}
