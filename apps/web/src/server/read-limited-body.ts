import type { AppError } from "@capstan/core/errors";

/**
 * Reads a raw request body, stopping as soon as it passes `maxBytes` so an oversize upload is
 * never buffered; `tooLarge` makes the error (with the size when the client declared it).
 */
export async function readLimitedBody(
  request: Request,
  maxBytes: number,
  tooLarge: (size?: number) => AppError,
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
