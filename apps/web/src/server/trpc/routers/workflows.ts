import { findTeamBundle } from "@capstan/core/bundles/find-team-bundle";
import type { Db } from "@capstan/core/db";
import { testGitSource } from "@capstan/core/sources/test-git-source";
import { checkWorkflowSource } from "@capstan/core/workflows/check-workflow-source";
import { createWorkflow } from "@capstan/core/workflows/create-workflow";
import { diffRevisions } from "@capstan/core/workflows/diff-revisions";
import { getRevision } from "@capstan/core/workflows/get-revision";
import { getWorkflow } from "@capstan/core/workflows/get-workflow";
import { listRevisions } from "@capstan/core/workflows/list-revisions";
import { listWorkflows } from "@capstan/core/workflows/list-workflows";
import { saveRevision } from "@capstan/core/workflows/save-revision";
import { bundleSha256Schema } from "@capstan/protocol/bundles";
import { MAX_YAML_BYTES } from "@capstan/templates/workflow/parse-workflow-yaml";
import { z } from "zod";
import { createTRPCRouter, teamProcedure } from "../init";
import { keyringOf } from "../keyring-of";

const id = z.string().max(64);
const source = z.string().max(MAX_YAML_BYTES);
const message = z.string().max(500).nullish();
const revisionNumber = z.number().int().min(1).max(1_000_000);
/** sha256 of a bundle uploaded with POST /api/bundles: the project files the revision carries. */
const bundle = bundleSha256Schema.nullish();

/** The team's uploaded bundle a revision names (NOT_FOUND for another team's sha256). */
const teamBundle = (ctx: { prisma: Db; actor: { teamId: string } }, sha256: string | null | undefined) =>
  sha256 ? findTeamBundle(ctx.prisma, ctx.actor.teamId, sha256) : null;

export const workflowsRouter = createTRPCRouter({
  list: teamProcedure("VIEWER")
    .input(
      z.object({
        cursor: z.string().max(64).nullish(),
        limit: z.number().int().min(1).max(100).optional(),
        search: z.string().max(64).nullish(),
      }),
    )
    .query(({ ctx, input }) => listWorkflows(ctx.prisma, { ...input, teamId: ctx.actor.teamId })),
  get: teamProcedure("VIEWER")
    .input(z.object({ workflowId: id }))
    .query(({ ctx, input }) =>
      getWorkflow(ctx.prisma, { teamId: ctx.actor.teamId, workflowId: input.workflowId }),
    ),
  /** Live validation for the editor; writes nothing. A mutation so the YAML travels in a POST body, not a URL. */
  check: teamProcedure("VIEWER")
    .input(z.object({ source, workflowId: id.nullish(), bundle }))
    .mutation(async ({ ctx, input }) =>
      checkWorkflowSource(ctx.prisma, {
        ...input,
        teamId: ctx.actor.teamId,
        bundle: await teamBundle(ctx, input.bundle),
      }),
    ),
  create: teamProcedure("ADMIN")
    .input(z.object({ source, message, bundle }))
    .mutation(async ({ ctx, input }) =>
      createWorkflow(ctx.prisma, ctx.actor, {
        ...input,
        bundle: await teamBundle(ctx, input.bundle),
      }),
    ),
  /** A new immutable revision, or `created: false` when the content equals the latest one. */
  saveRevision: teamProcedure("ADMIN")
    .input(z.object({ workflowId: id, source, message, bundle }))
    .mutation(async ({ ctx, input }) =>
      saveRevision(ctx.prisma, ctx.actor, {
        ...input,
        bundle: await teamBundle(ctx, input.bundle),
      }),
    ),
  revisions: teamProcedure("VIEWER")
    .input(
      z.object({
        workflowId: id,
        cursor: revisionNumber.nullish(),
        limit: z.number().int().min(1).max(100).optional(),
      }),
    )
    .query(({ ctx, input }) => listRevisions(ctx.prisma, { ...input, teamId: ctx.actor.teamId })),
  revision: teamProcedure("VIEWER")
    .input(z.object({ workflowId: id, number: revisionNumber }))
    .query(({ ctx, input }) => getRevision(ctx.prisma, { ...input, teamId: ctx.actor.teamId })),
  diff: teamProcedure("VIEWER")
    .input(
      z.object({
        workflowId: id,
        from: revisionNumber,
        to: revisionNumber,
        context: z.number().int().min(0).max(1000).optional(),
      }),
    )
    .query(({ ctx, input }) => diffRevisions(ctx.prisma, { ...input, teamId: ctx.actor.teamId })),
  /** "Test connection" of a workflow's `source.git`: the repository's branches, or why it cannot be read. */
  testSource: teamProcedure("ADMIN")
    .input(
      z.object({
        workflowId: id.nullish(),
        url: z.string().max(2048),
        credentials: z.string().max(128).nullish(),
      }),
    )
    .mutation(async ({ ctx, input, signal }) => {
      const keyring = await keyringOf(ctx);
      const allowPrivate = ctx.outboundAllowPrivate ?? false;
      return testGitSource(ctx.prisma, keyring, ctx.actor, { ...input, allowPrivate, signal });
    }),
});
