// POST /api/artifacts?teamId=&name= with the file as the raw body: stores an artifact for systemd
// workflows (`artifact: { upload: NAME, sha256 }`). Session auth and an ADMIN membership read
// from the database on every call, as in tRPC; a team the caller is not in answers 404.
import { artifactTooLarge, MAX_ARTIFACT_BYTES } from "@capstan/core/artifacts/artifact-rules";
import { uploadArtifact } from "@capstan/core/artifacts/upload-artifact";
import type { PrismaClient } from "@capstan/db";
import { z } from "zod";
import { handleCookieUpload, type LogUnexpected, teamQuery } from "@/server/cookie-upload";
import { readLimitedBody } from "@/server/read-limited-body";

const query = teamQuery.extend({ name: z.string().max(200) });

export function handleUploadArtifact(
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
      query,
      usage: "Pass the teamId and name query parameters; send the file as the body.",
      minRole: "ADMIN",
      logUnexpected,
    },
    async ({ actor, query: { name } }) => {
      const data = await readLimitedBody(request, MAX_ARTIFACT_BYTES, artifactTooLarge);
      const result = await uploadArtifact(prisma, actor, { name, data });
      return Response.json(
        { name: result.name, sha256: result.sha256, size: result.size },
        { status: result.created ? 201 : 200, headers: { "cache-control": "no-store" } },
      );
    },
  );
}
