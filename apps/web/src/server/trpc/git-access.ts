import type { GitAccess } from "@capstan/core/deployments/deploy";
import { resolveSecrets } from "@capstan/core/secrets/resolve-secrets";
import type { TRPCContext } from "./init";
import { keyringOf } from "./keyring-of";

/**
 * What a deploy of a workflow with a Git source needs: its credentials secret, opened only when a
 * fetch asks for it, and the outbound address rule (the tRPC route sets it from the environment).
 */
export function gitAccessOf(ctx: TRPCContext): GitAccess {
  return {
    resolveSecrets: async (args) => resolveSecrets(ctx.prisma, await keyringOf(ctx), args),
    allowPrivateGit: ctx.outboundAllowPrivate ?? false,
  };
}
