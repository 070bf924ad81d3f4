// POST /api/bundles?teamId= with a project folder's tar.gz as the raw body: the dashboard's
// upload, before it saves a revision naming the bundle's sha256 (tRPC workflows.create /
// saveRevision `bundle`). ADMIN, like saving a revision; same-origin only.
import { bundleTooLarge, storeBundle } from "@capstan/core/bundles/store-bundle";
import { auditActor } from "@capstan/core/rbac/team-actor";
import type { PrismaClient } from "@capstan/db";
import { BUNDLE_MAX_BYTES } from "@capstan/protocol/bundles";
import { handleCookieUpload, type LogUnexpected, teamQuery } from "@/server/cookie-upload";
import { readLimitedBody } from "@/server/read-limited-body";

export function handleUploadBundle(
  prisma: PrismaClient,
  userId: string | null,
  request: Request,
  logUnexpected?: LogUnexpected,
): Promise<Response> {
  return handleCookieUpload(
    {
      prisma,
      userId,
      request,
      query: teamQuery,
      usage: "Pass the teamId query parameter; send the project's .tar.gz as the body.",
      minRole: "ADMIN",
      logUnexpected,
    },
    async ({ actor }) => {
      const data = await readLimitedBody(request, BUNDLE_MAX_BYTES, bundleTooLarge);
      const bundle = await storeBundle(prisma, {
        teamId: actor.teamId,
        data,
        userId: actor.userId,
        actor: auditActor(actor),
      });
      return Response.json(
        { sha256: bundle.sha256, size: bundle.size, entries: bundle.entries },
        { headers: { "cache-control": "no-store" } },
      );
    },
  );
}
