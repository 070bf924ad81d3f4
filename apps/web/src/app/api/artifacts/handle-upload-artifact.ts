// POST /api/artifacts?teamId=&name= with the file as the raw body: stores an artifact for systemd
// workflows (`artifact: { upload: NAME, sha256 }`). Session auth and an ADMIN membership read
// from the database on every call, as in tRPC; a team the caller is not in answers 404.
import { artifactTooLarge, MAX_ARTIFACT_BYTES } from "@capstan/core/artifacts/artifact-rules";
import { uploadArtifact } from "@capstan/core/artifacts/upload-artifact";
import { badRequest, isAppError, notFound, unauthenticated } from "@capstan/core/errors";
import { requireMembership } from "@capstan/core/rbac/require-membership";
import type { TeamActor } from "@capstan/core/rbac/team-actor";
import type { PrismaClient } from "@capstan/db";
import { z } from "zod";
import { errorResponse } from "@/server/errors";
import { readLimitedBody } from "@/server/read-limited-body";
import { crossOriginRefusal } from "@/server/same-origin";

/** Called with errors that are not AppErrors (bugs, database down) before the 500 answer. */
export type LogUnexpected = (error: unknown) => void;

const query = z.object({ teamId: z.string().max(64), name: z.string().max(200) });

export async function handleUploadArtifact(
  prisma: PrismaClient,
  userId: string | null,
  request: Request,
  logUnexpected?: LogUnexpected,
): Promise<Response> {
  try {
    const refusal = crossOriginRefusal(request);
    if (refusal) throw refusal;
    if (!userId) throw unauthenticated();
    const url = new URL(request.url);
    const parsed = query.safeParse(Object.fromEntries(url.searchParams));
    if (!parsed.success)
      throw badRequest("Pass the teamId and name query parameters; send the file as the body.");
    const { teamId, name } = parsed.data;
    // Membership first: an outsider learns nothing and uploads nothing, whatever the body.
    const membership = await requireMembership(prisma, { teamId, userId, minRole: "ADMIN" });
    const user = await prisma.user.findUnique({ where: { id: userId }, select: { email: true } });
    if (!user) throw notFound("Team");
    const actor: TeamActor = { teamId, userId, email: user.email, role: membership.role };
    const data = await readLimitedBody(request, MAX_ARTIFACT_BYTES, artifactTooLarge);
    const result = await uploadArtifact(prisma, actor, { name, data });
    return Response.json(
      { name: result.name, sha256: result.sha256, size: result.size },
      { status: result.created ? 201 : 200, headers: { "cache-control": "no-store" } },
    );
  } catch (error) {
    if (!isAppError(error)) logUnexpected?.(error);
    return errorResponse(error, { "cache-control": "no-store" });
  }
}
