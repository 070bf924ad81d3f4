// What the Compose policy rules share: the issue list, the host policy, the stack's own names,
// and the host-path check that binds, volume devices, secret files and build contexts all use.
import { type ComposeProject, classifyProjectPath } from "../compose/compose-project";
import type { HostPolicy } from "./host-policy";
import { didYouMean } from "./suggest-key";
import type { IssuePath } from "./workflow-issue";

export interface ComposeIssue {
  path: IssuePath;
  message: string;
  /** The issue is about the last path element as a key (an unknown key). */
  atKey?: boolean;
}

export type Dict = Record<string, unknown>;
export const isDict = (v: unknown): v is Dict => v !== null && typeof v === "object" && !Array.isArray(v);

export type PolicyKey = keyof HostPolicy;

export interface PolicyContext {
  policy: HostPolicy;
  /** Services of this stack: `service:<name>` references to them stay inside it. */
  services: Set<string>;
  issues: ComposeIssue[];
  /** When given (on the agent), the real path of a host path, symlinks resolved. */
  realPath?: (path: string) => string | undefined;
  /** The project folder the document came with: relative paths resolve in it. */
  project?: ComposeProject;
}

/** A rule for one key: "safe", or a check of its value at `at`. */
export type KeyRule = "safe" | ((value: unknown, at: IssuePath, ctx: PolicyContext) => void);

/** Refuses `what` unless the boolean policy `key` is on; the message names the key that allows it. */
export function refuse(ctx: PolicyContext, at: IssuePath, what: string, key: PolicyKey, verb = "is"): void {
  if (ctx.policy[key] === true) return;
  ctx.issues.push({ path: at, message: `${what} ${verb} refused by the host policy (${key})` });
}

export function invalid(ctx: PolicyContext, at: IssuePath, message: string): void {
  ctx.issues.push({ path: at, message });
}

export const show = (value: unknown) => JSON.stringify(value).slice(0, 80);

/**
 * Applies a key table to a mapping: known keys by their rule, `x-` extension fields ignored (no
 * Compose implementation acts on them), and every other key refused, so a key newer than this
 * table is never let through unchecked.
 */
export function checkKeys(
  node: unknown,
  at: IssuePath,
  rules: Record<string, KeyRule>,
  ctx: PolicyContext,
): void {
  if (!isDict(node)) return;
  for (const [key, value] of Object.entries(node)) {
    if (key.startsWith("x-")) continue;
    const rule = Object.hasOwn(rules, key) ? rules[key] : undefined;
    if (rule === undefined)
      ctx.issues.push({
        path: [...at, key],
        message: `is not a Compose key Capstan knows, so it is refused (unknown key)${didYouMean(key, Object.keys(rules))}`,
        atKey: true,
      });
    else if (rule !== "safe") rule(value, [...at, key], ctx);
  }
}

const DOCKER_SOCKETS = ["/var/run/docker.sock", "/run/docker.sock"];

/** `/a/./b//c/` -> `/a/b/c`; undefined when a `..` segment could leave the named folder. */
function normalise(path: string): string | undefined {
  const parts = path.split("/").filter((p) => p !== "" && p !== ".");
  if (parts.includes("..")) return undefined;
  return `/${parts.join("/")}`;
}

const within = (path: string, prefix: string) =>
  prefix === "/" || path === prefix || path.startsWith(`${prefix}/`);

function allowedPrefix(path: string, allowed: string[]): boolean {
  return allowed.some((prefix) => {
    const p = normalise(prefix);
    return p !== undefined && within(path, p);
  });
}

/** What a host path is used for: a bind may be persistent data, a file or a build context may not. */
export type HostPathUse = "bind" | "file" | "build";

/**
 * One host path used by a bind mount, a volume device, a secret, config or env file or a build
 * context. Without a project, relative paths would resolve inside the agent's release folder,
 * which holds only the rendered files, so they are refused; with one, they are classified
 * (compose-project.ts).
 */
export function checkHostPath(
  raw: string,
  at: IssuePath,
  ctx: PolicyContext,
  use: HostPathUse = "bind",
): void {
  const path = raw.startsWith("~") ? `/root${raw.slice(1)}` : raw;
  if (!path.startsWith("/")) {
    if (ctx.project) checkProjectPath(raw, at, ctx, ctx.project, use);
    else
      invalid(
        ctx,
        at,
        `relative host path \`${raw.slice(0, 80)}\` would point into the agent's release folder; use a named volume`,
      );
    return;
  }
  const clean = normalise(path);
  if (clean === undefined) {
    invalid(ctx, at, "host paths must not contain '..'");
    return;
  }
  const real = ctx.realPath ? ctx.realPath(clean) : clean;
  for (const candidate of new Set([clean, real ?? clean]))
    checkAbsolute(
      candidate,
      candidate === clean
        ? `host path \`${candidate}\``
        : `host path \`${clean}\` (a link to \`${candidate}\`)`,
      at,
      ctx,
    );
}

/** The Docker socket and allowHostPaths checks of one absolute, normalised path. */
function checkAbsolute(path: string, what: string, at: IssuePath, ctx: PolicyContext): void {
  // The socket itself, or a folder that holds it (`/`, `/run`), is root on the host.
  const socket = DOCKER_SOCKETS.find((s) => within(s, path));
  if (socket)
    refuse(
      ctx,
      at,
      path === socket
        ? "mounting the Docker socket"
        : `host path \`${path}\` holds the Docker socket; mounting it`,
      "allowDockerSocket",
    );
  if (socket !== path && !allowedPrefix(path, ctx.policy.allowHostPaths))
    refuse(ctx, at, what, "allowHostPaths");
}

function checkProjectPath(
  raw: string,
  at: IssuePath,
  ctx: PolicyContext,
  project: ComposeProject,
  use: HostPathUse,
): void {
  const shown = raw.slice(0, 80);
  const where = classifyProjectPath(raw, project);
  if (where.kind === "leaves") {
    invalid(
      ctx,
      at,
      `\`${shown}\` leaves the project folder; use a path inside it, or an absolute host path the host policy allows (allowHostPaths)`,
    );
    return;
  }
  if (where.kind === "host") return;
  if (where.kind === "data" && use !== "bind") {
    invalid(ctx, at, `\`${shown}\` is not in the project: add it to the repository or the uploaded folder`);
    return;
  }
  if (!ctx.realPath) return;
  // The agent resolves links: a bundle's link, or one a container left in its data folder,
  // must not lead a bind out of its folder.
  const base = where.kind === "bundle" ? project.root : project.dataRoot;
  const baseReal = ctx.realPath(base) ?? base;
  const real = ctx.realPath(where.abs);
  if (real === undefined || within(real, baseReal)) return;
  checkAbsolute(real, `\`${shown}\` (a link out of the project to \`${real}\`)`, at, ctx);
}

/** `service:<name>` naming a service of this stack stays inside it. */
export function insideStack(value: string, ctx: PolicyContext): boolean {
  return value.startsWith("service:") && ctx.services.has(value.slice("service:".length));
}

/** A list (or, for some keys, a mapping) as entries with their paths. */
export function entries(value: unknown, at: IssuePath): [unknown, IssuePath][] {
  if (Array.isArray(value)) return value.map((item, i) => [item, [...at, i]]);
  if (isDict(value))
    return Object.entries(value).map(([k, v]) => [
      [k, v],
      [...at, k],
    ]);
  return [];
}
