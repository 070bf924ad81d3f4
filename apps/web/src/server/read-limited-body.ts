// Reads a request body up to a byte limit, stopping as soon as it passes the limit, so an
// oversize upload is never buffered whole (a declared Content-Length over the limit stops it
// before the first byte).
import type { AppError } from "@capstan/core/errors";

/** `tooLarge` gets the declared size when the Content-Length header gave it away. */
export async function readLimitedBody(
  request: Request,
  maxBytes: number,
  tooLarge: (declared?: number) => AppError,
): Promise<Buffer> {
  const declared = Number(request.headers.get("content-length") ?? Number.NaN);
  if (Number.isFinite(declared) && declared > maxBytes) throw tooLarge(declared);
  if (!request.body) return Buffer.alloc(0);
  const chunks: Uint8Array[] = [];
  let total = 0;
  const reader = request.body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > maxBytes) {
      await reader.cancel().catch(() => {});
      throw tooLarge();
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks, total);
}
