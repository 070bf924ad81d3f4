// Staging a systemd release: everything that can be refused happens before the host changes
// (secrets, the artifact's sha256, the hardening probe); then the release folder, its env file,
// its unit and its tasks are saved for activation (systemd.ts). The unit starts with the
// hardening softenings the running release of the same program needed (hardening-retry.ts).
import { randomBytes } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { chmod, mkdir, rm, stat } from "node:fs/promises";
import { dirname, join } from "node:path";
import { isSystemdService, type SystemdServiceSpec } from "@capstan/templates";
import { renderEnvironmentFile } from "@capstan/templates/systemd/render-environment-file";
import { renderSystemdUnit } from "@capstan/templates/systemd/render-systemd-unit";
import { enforceSystemdPolicy } from "../host-policy";
import { writeFileAtomic } from "../state";
import { type ArtifactFormat, type FileArtifact, readCurrent, unpackRelease } from "./artifacts";
import { type BundleCache, unpackBundle } from "./bundles";
import { dropUnsupportedDirectives } from "./hardening";
import { carrySoftenings, type Softening } from "./hardening-retry";
import { checkSchedules } from "./task-timers";
import type { ServiceRef, StageRequest, StepContext } from "./types";

export interface SystemdPaths {
  /** <state>/systemd/<workflow>/<service>: releases/, current, env/, units/ */
  serviceDir: string;
  /** The EnvironmentFile for this release. */
  envFile: string;
}

export interface ArtifactSource {
  format: ArtifactFormat;
  /** File name for a single binary inside the release folder. */
  binaryName: string;
  /** Downloads and verifies (sha256) into `dest`; throws before anything changes on mismatch. */
  fetch(dest: string, signal?: AbortSignal): Promise<void>;
}

/** Where a spec's artifact is fetched from (URL, or an upload on the control plane). */
export type ArtifactResolver = (artifact: FileArtifact) => ArtifactSource;

export function pickSecrets(
  names: readonly string[],
  secrets: Record<string, string>,
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of names) {
    const value = secrets[name];
    // A missing secret fails the deploy; it never deploys an empty value.
    if (value === undefined) throw new Error(`secret ${name} has no value`);
    out[name] = value;
  }
  return out;
}

/** What staging needs of the runtime: its folders and where artifacts come from. */
export interface SystemdStageTarget {
  readonly root: string;
  readonly artifacts?: ArtifactResolver;
  readonly bundles?: BundleCache;
  label(ref: ServiceRef): string;
  paths(workflow: string, service: string, releaseId: string): SystemdPaths;
  savedUnitPath(ref: ServiceRef, releaseId: string): string;
  savedTasksPath(ref: ServiceRef, releaseId: string): string;
  savedSofteningsPath(ref: ServiceRef, releaseId: string): string;
}

/** What the hardening retry did to a release's unit, and for which program (softenings.json). */
export interface SavedSoftenings {
  program: string | null;
  steps: Softening[];
}

export function readSoftenings(path: string): SavedSoftenings | null {
  if (!existsSync(path)) return null;
  try {
    const saved = JSON.parse(readFileSync(path, "utf8")) as SavedSoftenings;
    return Array.isArray(saved?.steps) ? saved : null;
  } catch {
    return null;
  }
}

/**
 * What the kernel executes for ExecStart=, as far as a seccomp or W^X kill goes: a file from the
 * release is its artifact's (or bundle's) sha256 and path inside it, so the same artifact keeps
 * its softenings and a new build gets a fresh strict start; a file of the host (an interpreter)
 * is its path, inode, size and mtime, so an upgrade of it gets a fresh start too. Null (no
 * carrying) when it cannot be told.
 */
async function programIdentity(
  spec: SystemdServiceSpec,
  serviceDir: string,
  bundleSha?: string,
): Promise<string | null> {
  const program = spec.systemd.exec[0]!;
  const inCurrent = `${join(serviceDir, "current")}/`;
  const inRelease = program.startsWith("current/")
    ? program.slice("current/".length)
    : program.startsWith(inCurrent)
      ? program.slice(inCurrent.length)
      : null;
  if (inRelease !== null) {
    const artifact = spec.systemd.artifact;
    const sha = artifact && ("bundle" in artifact ? bundleSha : artifact.sha256);
    return sha ? `release:${sha}:${inRelease}` : null;
  }
  if (program.startsWith(`${serviceDir}/`)) return null;
  const file = await stat(program).catch(() => null);
  return file ? `host:${program}:${file.dev}:${file.ino}:${file.size}:${file.mtimeMs}` : null;
}

export async function stageSystemdRelease(
  runtime: SystemdStageTarget,
  request: StageRequest,
  ctx: StepContext,
): Promise<void> {
  const { ref, releaseId, spec } = request;
  if (!isSystemdService(spec)) throw new Error(`${ref.workflow}/${ref.service} is not a systemd service`);
  // The host's promise, checked on this host before anything is written.
  enforceSystemdPolicy({ ...ref, spec: spec.systemd, policy: request.hostPolicy });
  const { log, signal } = ctx;
  await checkSchedules(
    Object.values(spec.tasks ?? {}).map((t) => t.schedule),
    signal,
  );
  const unit = runtime.label(ref);
  const paths = runtime.paths(ref.workflow, ref.service, releaseId);
  const env = renderEnvironmentFile(spec.env, pickSecrets(spec.secrets, request.secrets));
  const releasesDir = join(paths.serviceDir, "releases");
  await mkdir(releasesDir, { recursive: true, mode: 0o755 });
  // mkdir's mode is cut by the agent unit's UMask=0077; the service's user must traverse these.
  for (const dir of [runtime.root, dirname(paths.serviceDir), paths.serviceDir, releasesDir])
    await chmod(dir, 0o711);
  await mkdir(join(paths.serviceDir, "env"), { recursive: true, mode: 0o700 });
  await mkdir(join(paths.serviceDir, "units"), { recursive: true, mode: 0o700 });

  const artifact = spec.systemd.artifact;
  if (artifact && "bundle" in artifact) {
    if (!request.bundle)
      throw new Error(
        `${ref.workflow}/${ref.service} takes the revision's bundle as its artifact, but this deployment carries no bundle; give the workflow a \`source\` or deploy it from a folder`,
      );
    if (!runtime.bundles) throw new Error("this agent cannot fetch project bundles");
    const { file, cached } = await runtime.bundles.get(request.bundle, signal);
    log(
      "info",
      `systemd: bundle ${request.bundle.sha256.slice(0, 12)} ${cached ? "from the cache" : "downloaded, sha256 verified"}`,
    );
    await unpackBundle(file, join(releasesDir, releaseId));
  } else if (artifact) {
    if (!runtime.artifacts) throw new Error("this agent cannot fetch artifacts");
    const source = runtime.artifacts(artifact);
    const download = join(paths.serviceDir, `.download-${randomBytes(6).toString("hex")}`);
    try {
      await source.fetch(download, signal);
      log("info", "systemd: artifact downloaded, sha256 verified");
      await unpackRelease(download, source.format, releasesDir, releaseId, source.binaryName);
    } finally {
      await rm(download, { force: true });
    }
  } else {
    await mkdir(join(releasesDir, releaseId), { recursive: true, mode: 0o755 });
  }
  const rendered = renderSystemdUnit({
    workflow: ref.workflow,
    service: ref.service,
    spec,
    serviceDir: paths.serviceDir,
    environmentFile: paths.envFile,
    note: `revision ${request.revision.number}`,
  });
  const probed = await dropUnsupportedDirectives(rendered, signal);
  for (const directive of probed.dropped) {
    log("warn", `systemd: ${directive}= cannot be applied on this host (probe failed); dropped from ${unit}`);
  }
  const program = await programIdentity(spec, paths.serviceDir, request.bundle?.sha256);
  const running = await readCurrent(paths.serviceDir);
  const before = running ? readSoftenings(runtime.savedSofteningsPath(ref, running)) : null;
  // Only for the same program: another one is started strict and checked again.
  const { unit: text, carried } =
    program && before?.program === program
      ? carrySoftenings(probed.unit, before.steps)
      : { unit: probed.unit, carried: [] };
  for (const step of carried)
    log(
      "info",
      `systemd: ${step.action === "eperm" ? `${step.line} with SystemCallErrorNumber=EPERM` : `without ${step.directive}=`}, as release ${running} of the same program needed on this host`,
    );
  writeFileAtomic(paths.envFile, env, 0o600);
  const softenings: SavedSoftenings = { program, steps: carried };
  writeFileAtomic(runtime.savedSofteningsPath(ref, releaseId), JSON.stringify(softenings), 0o600);
  writeFileAtomic(runtime.savedUnitPath(ref, releaseId), text, 0o600);
  writeFileAtomic(runtime.savedTasksPath(ref, releaseId), JSON.stringify(spec.tasks ?? {}), 0o600);
}
