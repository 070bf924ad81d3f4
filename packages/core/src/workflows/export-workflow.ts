// Downloads the templates package's artifact export (compose files, hardened units, .env.example,
// README, optional Dockerfile) for one revision as a .tar.gz. No secret value is ever included:
// the export only knows secret names.
import { createGzip } from "node:zlib";
import { type DockerfileKind, type ExportFile, renderExport } from "@capstan/templates";
import { orderServices } from "@capstan/templates/workflow/order-services";
import { pack } from "tar-stream";
import type { Db } from "../db";
import { notFound } from "../errors";
import { findTeamWorkflow } from "./find-team-workflow";
import { getRevision } from "./get-revision";

export interface ExportWorkflowInput {
  teamId: string;
  workflowId: string;
  /** Defaults to the latest revision. */
  revision?: number | null;
  dockerfile?: DockerfileKind | null;
}

export interface WorkflowExport {
  filename: string;
  contentType: "application/gzip";
  body: Buffer;
}

export async function exportWorkflow(db: Db, input: ExportWorkflowInput): Promise<WorkflowExport> {
  const workflow = await findTeamWorkflow(db, input.teamId, input.workflowId);
  let number = input.revision ?? null;
  if (number === null) {
    const latest = await db.revision.findFirst({
      where: { workflowId: workflow.id },
      orderBy: { number: "desc" },
      select: { number: true },
    });
    if (!latest) throw notFound("Revision");
    number = latest.number;
  }
  const revision = await getRevision(db, { teamId: input.teamId, workflowId: workflow.id, number });
  const files = renderExport({
    spec: revision.spec,
    order: orderServices(revision.spec.services).order,
    ...(input.dockerfile ? { dockerfile: input.dockerfile } : {}),
  });
  const root = `${workflow.name}-r${revision.number}`;
  return {
    filename: `${root}.tar.gz`,
    contentType: "application/gzip",
    body: await tarGzip(root, files, revision.createdAt),
  };
}

/** A gzipped tar of `files` under `root/`, with fixed owner and mtime so the bytes are reproducible. */
export async function tarGzip(root: string, files: Record<string, ExportFile>, mtime: Date): Promise<Buffer> {
  const archive = pack();
  const gzip = createGzip();
  const chunks: Buffer[] = [];
  gzip.on("data", (chunk: Buffer) => chunks.push(chunk));
  const done = new Promise<void>((resolve, reject) => {
    gzip.on("end", resolve);
    gzip.on("error", reject);
    archive.on("error", reject);
  });
  archive.pipe(gzip);
  for (const path of Object.keys(files).sort()) {
    const file = files[path]!;
    archive.entry(
      { name: `${root}/${path}`, mode: file.mode, mtime, uid: 0, gid: 0, uname: "root", gname: "root" },
      file.content,
    );
  }
  archive.finalize();
  await done;
  return Buffer.concat(chunks);
}
