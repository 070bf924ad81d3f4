import { AppError, type AppErrorCode } from "@capstan/core/errors";
import type { TRPCError } from "@trpc/server";
import { getHTTPStatusCodeFromError } from "@trpc/server/http";
import { describe, expect, it } from "vitest";
import { errorResponse, HTTP_STATUS, INTERNAL_ERROR_MESSAGE, toHttpError, toTRPCError } from "./errors";

const CODES: AppErrorCode[] = [
  "BAD_REQUEST",
  "UNAUTHENTICATED",
  "FORBIDDEN",
  "NOT_FOUND",
  "CONFLICT",
  "GONE",
  "PAYLOAD_TOO_LARGE",
  "UNPROCESSABLE",
  "RATE_LIMITED",
  "UNAVAILABLE",
];

describe("error mapping", () => {
  it("gives route handlers and tRPC the same HTTP status for every AppError code, except GONE", () => {
    const rows = CODES.map((code) => {
      const error = new AppError(code, `msg ${code}`);
      const trpc = toTRPCError(error) as TRPCError;
      return [
        code,
        toHttpError(error).status,
        getHTTPStatusCodeFromError(trpc),
        trpc.message,
        trpc.cause === error,
      ];
    });
    expect(rows).toEqual([
      ["BAD_REQUEST", 400, 400, "msg BAD_REQUEST", true],
      ["UNAUTHENTICATED", 401, 401, "msg UNAUTHENTICATED", true],
      ["FORBIDDEN", 403, 403, "msg FORBIDDEN", true],
      ["NOT_FOUND", 404, 404, "msg NOT_FOUND", true],
      ["CONFLICT", 409, 409, "msg CONFLICT", true],
      // tRPC has no 410; the app code travels in data.appCode instead.
      ["GONE", 410, 412, "msg GONE", true],
      ["PAYLOAD_TOO_LARGE", 413, 413, "msg PAYLOAD_TOO_LARGE", true],
      ["UNPROCESSABLE", 422, 422, "msg UNPROCESSABLE", true],
      ["RATE_LIMITED", 429, 429, "msg RATE_LIMITED", true],
      ["UNAVAILABLE", 503, 503, "msg UNAVAILABLE", true],
    ]);
    expect(Object.keys(HTTP_STATUS).sort()).toEqual([...CODES].sort());
  });

  it("writes the JSON error body with details, and hides unknown errors", async () => {
    const response = errorResponse(new AppError("BAD_REQUEST", "Bad name.", [{ path: ["name"] }]));
    expect(response.status).toBe(400);
    expect(await response.json()).toEqual({
      error: { code: "BAD_REQUEST", message: "Bad name.", details: [{ path: ["name"] }] },
    });

    const leaky = new Error("connect ECONNREFUSED postgresql://capstan:hunter2@db/capstan");
    const hidden = errorResponse(leaky);
    expect(hidden.status).toBe(500);
    const body = await hidden.json();
    expect(body).toEqual({ error: { code: "INTERNAL", message: INTERNAL_ERROR_MESSAGE } });
    expect(JSON.stringify(body)).not.toContain("hunter2");
    expect(toTRPCError(leaky)).toBe(leaky);
  });
});
