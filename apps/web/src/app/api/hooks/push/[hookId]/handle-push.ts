// POST /api/hooks/push/{hookId}: a Git provider's push webhook. No session or token: the
// signature over the raw body is the credential, checked in core before the body is parsed.
// The body is read with a cap first, so an oversize request is refused (413) unbuffered.
import { AppError, isAppError } from "@capstan/core/errors";
import { PUSH_BODY_MAX_BYTES, receivePush } from "@capstan/core/push-hooks/receive-push";
import type { Keyring } from "@capstan/core/secrets/keyring";
import type { PrismaClient } from "@capstan/db";
import { errorResponse } from "@/server/errors";
import { readLimitedBody } from "@/server/read-limited-body";

const tooLarge = () =>
  new AppError("PAYLOAD_TOO_LARGE", `A push body may be at most ${PUSH_BODY_MAX_BYTES} bytes.`);

export async function handlePush(
  prisma: PrismaClient,
  /** Read inside the handler so a broken key answers like any other failure (logged, 5xx). */
  keyring: () => Keyring | null,
  hookId: string,
  request: Request,
  logUnexpected?: (error: unknown) => void,
  allowPrivateGit = false,
): Promise<Response> {
  const headers = { "cache-control": "no-store" };
  try {
    const rawBody = await readLimitedBody(request, PUSH_BODY_MAX_BYTES, tooLarge);
    const { httpStatus, delivery, duplicate } = await receivePush(prisma, keyring(), {
      hookId,
      headers: request.headers,
      rawBody,
      allowPrivateGit,
    });
    const { status, deliveryId, deploymentId, ref, commit, error } = delivery;
    return Response.json(
      { status, deliveryId, deploymentId, ref, commit, error, duplicate },
      { status: httpStatus, headers },
    );
  } catch (error) {
    if (!isAppError(error)) logUnexpected?.(error);
    return errorResponse(error, headers);
  }
}
