import { bundleTooLarge, storeBundle } from "@capstan/core/bundles/store-bundle";
import { BUNDLE_MAX_BYTES } from "@capstan/protocol/bundles";
import { endpoints } from "@capstan/protocol/public-api/endpoints";
import { publicApiRoute } from "@/server/api/public-api-route";
import { prisma } from "@/server/db";
import { readLimitedBody } from "@/server/read-limited-body";

export const runtime = "nodejs";
export const dynamic = "force-dynamic";

export const POST = publicApiRoute(endpoints.uploadBundle, async ({ request, principal }) => {
  const data = await readLimitedBody(request, BUNDLE_MAX_BYTES, bundleTooLarge);
  const bundle = await storeBundle(prisma, {
    teamId: principal.teamId,
    data,
    actor: principal.actor,
    userId: (
      await prisma.apiToken.findUnique({ where: { id: principal.tokenId }, select: { createdById: true } })
    )?.createdById,
  });
  return { status: 200, body: bundle };
});
