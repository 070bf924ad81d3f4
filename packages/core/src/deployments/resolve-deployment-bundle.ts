// Which project files a deployment ships, decided before any job exists: the bundle uploaded with
// the revision, a bundle fetched from the workflow's Git source (the ref resolved to a commit now,
// or the pinned commit), or the files an earlier deployment shipped (a rollback never fetches).
// Every `compose.file` is read out of the bundle and checked against the hosts' policies here, so
// a missing file or a refused key fails the deploy with a clear error instead of failing on hosts.
import type { WorkflowSpec } from "@capstan/templates";
import { readHostPolicy } from "@capstan/templates/workflow/host-policy";
import { isComposeService } from "@capstan/templates/workflow/spec";
import type { WorkflowIssue } from "@capstan/templates/workflow/workflow-issue";
import type { Actor } from "../audit/record-audit-event";
import { listBundleEntries, readBundleFile } from "../bundles/read-bundle-file";
import { storeBundle } from "../bundles/store-bundle";
import { type DeploymentSource, readDeploymentSource } from "../columns/deployment-source";
import type { Db } from "../db";
import { badRequest, notFound } from "../errors";
import type { SecretResolver } from "../jobs/claim-job";
import { fetchGitSource } from "../sources/fetch-git-source";
import { invalidWorkflow } from "../workflows/invalid-workflow";
import { checkBundleCompose } from "./check-bundle-compose";

export interface ShippedBundle {
  id: string;
  sha256: string;
  size: number;
}

export interface DeploymentBundle {
  bundle: ShippedBundle | null;
  source: DeploymentSource | null;
}

export interface ResolveBundleInput {
  teamId: string;
  workflow: { id: string; name: string };
  spec: WorkflowSpec;
  /** The bundle uploaded with the revision. */
  revisionBundle: ShippedBundle | null;
  hostIds: string[];
  /** Git sources: deploy this commit instead of what the ref points at now. */
  commit?: string;
  /** A rollback: ship exactly what that deployment shipped. */
  sameAs?: { bundleId: string | null; source: unknown };
  /** Decrypts the Git source's credentials secret. */
  resolveSecrets?: SecretResolver;
  /** May a Git URL name a loopback or private address (the control plane's setting)? */
  allowPrivateGit?: boolean;
  actor: Actor;
  userId?: string | null;
  signal?: AbortSignal;
}

export async function resolveDeploymentBundle(db: Db, input: ResolveBundleInput): Promise<DeploymentBundle> {
  if (input.sameAs) {
    const { bundleId } = input.sameAs;
    if (bundleId === null) return { bundle: null, source: null };
    const bundle = await db.bundle.findFirst({
      where: { id: bundleId, teamId: input.teamId },
      select: { id: true, sha256: true, size: true },
    });
    if (!bundle) throw notFound("Bundle");
    return { bundle, source: readDeploymentSource(input.sameAs.source) };
  }
  const git = input.spec.source?.git;
  if (input.commit !== undefined && !git)
    throw badRequest("A commit can only be deployed for a workflow with a Git `source`.");
  let shipped: DeploymentBundle;
  let data: Buffer;
  if (input.revisionBundle) {
    const row = await db.bundle.findUniqueOrThrow({
      where: { id: input.revisionBundle.id },
      select: { data: true },
    });
    data = Buffer.from(row.data);
    shipped = {
      bundle: input.revisionBundle,
      source: { kind: "upload", sha256: input.revisionBundle.sha256 },
    };
  } else if (git) {
    const credential = git.credentials ? await gitCredential(input, git.credentials) : undefined;
    const fetched = await fetchGitSource({
      url: git.url,
      ref: input.commit ?? git.ref,
      ...(git.path !== undefined ? { path: git.path } : {}),
      ...(credential !== undefined ? { credential } : {}),
      allowPrivate: input.allowPrivateGit ?? false,
      signal: input.signal,
    });
    data = fetched.data;
    const stored = await storeBundle(db, {
      teamId: input.teamId,
      data,
      userId: input.userId,
      actor: input.actor,
    });
    shipped = {
      bundle: { id: stored.id, sha256: stored.sha256, size: stored.size },
      source: { kind: "git", sha256: stored.sha256, commit: fetched.commit },
    };
  } else return { bundle: null, source: null };
  await assertBundleCompose(db, input, shipped, data);
  return shipped;
}

async function gitCredential(input: ResolveBundleInput, name: string): Promise<string> {
  if (!input.resolveSecrets)
    throw badRequest(
      `The Git credentials secret ${name} cannot be decrypted here (no secrets key configured).`,
    );
  const values = await input.resolveSecrets({
    teamId: input.teamId,
    workflowId: input.workflow.id,
    names: [name],
  });
  const value = values[name];
  if (typeof value !== "string") throw badRequest(`Secret ${name} has no value; set it before deploying.`);
  return value;
}

/** Reads each `compose.file` from the bundle and checks it under each distinct host policy. */
async function assertBundleCompose(
  db: Db,
  input: ResolveBundleInput,
  shipped: DeploymentBundle,
  data: Buffer,
): Promise<void> {
  const files = Object.entries(input.spec.services).flatMap(([name, spec]) =>
    isComposeService(spec) && spec.compose.file !== undefined
      ? [{ name, spec, file: spec.compose.file }]
      : [],
  );
  if (files.length === 0) return;
  const sha256 = shipped.bundle!.sha256;
  const where = shipped.source?.commit
    ? `commit ${shipped.source.commit.sha.slice(0, 12)} (bundle ${sha256.slice(0, 12)})`
    : `the uploaded bundle ${sha256.slice(0, 12)}`;
  const entries = new Set(listBundleEntries(data));
  const hosts = await db.host.findMany({
    where: { id: { in: input.hostIds }, teamId: input.teamId },
    select: { name: true, policy: true },
    orderBy: { name: "asc" },
  });
  const byPolicy = new Map<string, string[]>();
  for (const host of hosts) {
    const key = JSON.stringify(readHostPolicy(host.policy));
    byPolicy.set(key, [...(byPolicy.get(key) ?? []), host.name]);
  }
  const issues: WorkflowIssue[] = [];
  for (const { name, spec, file } of files) {
    const text = readBundleFile(data, file);
    if (text === null)
      throw badRequest(
        `Service ${name}: the Compose file \`${file}\` is not in ${where}. Add it to the project, or fix \`compose.file\`.`,
      );
    for (const [policy, hostNames] of byPolicy) {
      const on = ` on host${hostNames.length > 1 ? "s" : ""} ${hostNames.slice(0, 5).join(", ")}${hostNames.length > 5 ? ", ..." : ""}`;
      const found = checkBundleCompose({
        workflow: input.workflow.name,
        service: name,
        spec,
        file,
        text,
        entries,
        bundleSha256: sha256,
        policy: JSON.parse(policy),
      });
      issues.push(...found.map((i) => ({ ...i, message: `${i.message}${on}` })));
    }
  }
  if (issues.length > 0) throw invalidWorkflow(issues);
}
