// The one cross-origin rule for cookie-authenticated endpoints (tRPC and the route handlers).
import { describe, expect, it } from "vitest";
import { HOSTILE_ORIGIN_HEADERS, SAME_ORIGIN_HEADERS } from "../../test/cross-origin-fixtures";
import { crossOriginRefusal } from "./same-origin";

const request = (headers: Record<string, string>) =>
  new Request("http://127.0.0.1/api/trpc/team.removeMember", { method: "POST", headers });

describe("crossOriginRefusal", () => {
  it.each(HOSTILE_ORIGIN_HEADERS)("refuses %j with a 403 that says what to use", (headers) => {
    const refusal = crossOriginRefusal(request(headers));
    expect(refusal?.code).toBe("FORBIDDEN");
    expect(refusal?.message).toMatch(/^Cross-origin request refused/);
  });

  it.each(SAME_ORIGIN_HEADERS)("lets %j through", (headers) => {
    expect(crossOriginRefusal(request(headers))).toBeNull();
  });

  it("trusts Sec-Fetch-Site over a matching Origin, and compares Origin with the Host header", () => {
    expect(
      crossOriginRefusal(request({ "sec-fetch-site": "cross-site", origin: "http://127.0.0.1" })),
    ).not.toBeNull();
    const proxied = (origin: string) =>
      crossOriginRefusal(
        new Request("http://10.0.0.5:3000/api/trpc/x", { headers: { host: "capstan.example", origin } }),
      );
    expect(proxied("https://capstan.example")).toBeNull();
    expect(proxied("https://capstan.example.evil")).not.toBeNull();
    expect(proxied("not a url")).not.toBeNull();
  });
});
