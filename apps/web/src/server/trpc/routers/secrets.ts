// Secrets are write-only: no procedure here returns a value. VIEWER sees names and who saved them.

import { deleteSecret } from "@capstan/core/secrets/delete-secret";
import { importEnvFile } from "@capstan/core/secrets/import-env-file";
import { listSecrets } from "@capstan/core/secrets/list-secrets";
import { listTeamSecrets } from "@capstan/core/secrets/list-team-secrets";
import { MAX_ENV_FILE_BYTES } from "@capstan/core/secrets/parse-env-file";
import { rotateTeamDataKey } from "@capstan/core/secrets/rotate-team-data-key";
import { saveEnvFileSecrets } from "@capstan/core/secrets/save-env-file-secrets";
import { MAX_SECRET_VALUE_BYTES } from "@capstan/core/secrets/secret-rules";
import { setSecret } from "@capstan/core/secrets/set-secret";
import { z } from "zod";
import { createTRPCRouter, teamProcedure } from "../init";
import { keyringOf } from "../keyring-of";

const workflowId = z.string().max(64);
const name = z.string().max(200);
const envText = z.string().max(MAX_ENV_FILE_BYTES);

export const secretsRouter = createTRPCRouter({
  list: teamProcedure("VIEWER")
    .input(z.object({ workflowId }))
    .query(({ ctx, input }) => listSecrets(ctx.prisma, ctx.actor, input)),
  /** Creates or replaces one secret. The answer carries no value. */
  set: teamProcedure("ADMIN")
    .input(z.object({ workflowId, name, value: z.string().max(MAX_SECRET_VALUE_BYTES) }))
    .mutation(async ({ ctx, input }) => setSecret(ctx.prisma, await keyringOf(ctx), ctx.actor, input)),
  delete: teamProcedure("ADMIN")
    .input(z.object({ workflowId, name }))
    .mutation(({ ctx, input }) => deleteSecret(ctx.prisma, ctx.actor, input)),
  /** The team's own secrets, which any workflow may name (its own secret of a name wins). */
  listTeam: teamProcedure("VIEWER").query(({ ctx }) => listTeamSecrets(ctx.prisma, ctx.actor)),
  setTeam: teamProcedure("ADMIN")
    .input(z.object({ name, value: z.string().max(MAX_SECRET_VALUE_BYTES) }))
    .mutation(async ({ ctx, input }) =>
      setSecret(ctx.prisma, await keyringOf(ctx), ctx.actor, { ...input, workflowId: null }),
    ),
  deleteTeam: teamProcedure("ADMIN")
    .input(z.object({ name }))
    .mutation(({ ctx, input }) => deleteSecret(ctx.prisma, ctx.actor, { ...input, workflowId: null })),
  /** Step one of a .env import: names, masked previews and issues by line. Writes nothing. */
  previewEnvFile: teamProcedure("ADMIN")
    .input(z.object({ workflowId, text: envText }))
    .mutation(({ ctx, input }) => importEnvFile(ctx.prisma, ctx.actor, input)),
  /** Step two: saves every entry at once, or nothing when any line has a problem. */
  importEnvFile: teamProcedure("ADMIN")
    .input(z.object({ workflowId, text: envText }))
    .mutation(async ({ ctx, input }) =>
      saveEnvFileSecrets(ctx.prisma, await keyringOf(ctx), ctx.actor, input),
    ),
  /**
   * A new data key for the team (after a suspected leak of decrypted material): every secret and
   * webhook secret is re-encrypted with it in one transaction (docs/user/secrets.md).
   */
  rotateDataKey: teamProcedure("ADMIN").mutation(async ({ ctx }) =>
    rotateTeamDataKey(ctx.prisma, await keyringOf(ctx), ctx.actor),
  ),
});
