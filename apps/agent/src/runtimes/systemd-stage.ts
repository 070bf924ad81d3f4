// Staging a systemd release: everything that can be refused happens before the host changes
// (secrets, the artifact's sha256, the hardening probe); then the release folder, its env file,
// its unit and its tasks are saved for activation (systemd.ts).
import { randomBytes } from "node:crypto";
import { chmod, mkdir, rm } from "node:fs/promises";
import { dirname, join } from "node:path";
import { isSystemdService } from "@capstan/templates";
import { renderEnvironmentFile } from "@capstan/templates/systemd/render-environment-file";
import { renderSystemdUnit } from "@capstan/templates/systemd/render-systemd-unit";
import { enforceSystemdPolicy } from "../host-policy";
import { writeFileAtomic } from "../state";
import { type ArtifactFormat, type FileArtifact, unpackRelease } from "./artifacts";
import { type BundleCache, unpackBundle } from "./bundles";
import { dropUnsupportedDirectives } from "./hardening";
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
  writeFileAtomic(paths.envFile, env, 0o600);
  writeFileAtomic(runtime.savedUnitPath(ref, releaseId), probed.unit, 0o600);
  writeFileAtomic(runtime.savedTasksPath(ref, releaseId), JSON.stringify(spec.tasks ?? {}), 0o600);
}
