// callbackUrl after sign-in: same origin only; control characters and backslashes (which browsers
// turn into another origin) refused; a malformed one answers 400 from the NextAuth route, not 500.
import { describe, expect, it } from "vitest";
import { callbackPath, callbackUrlProblem, resolveCallbackUrl } from "./callback-url";

const BASE = "https://capstan.example";

describe("callbackUrl", () => {
  it("resolves paths and same-origin URLs", () => {
    expect(resolveCallbackUrl("/t/acme?tab=1#x", BASE)?.href).toBe("https://capstan.example/t/acme?tab=1#x");
    expect(resolveCallbackUrl("https://capstan.example/t/acme", BASE)?.pathname).toBe("/t/acme");
    expect(callbackPath(["/t/acme", "/other"], BASE)).toBe("/t/acme");
    expect(callbackPath(undefined, BASE)).toBe("/");
  });

  it.each([
    "//evil.example",
    "https://evil.example/",
    "https://capstan.example.evil.example/",
    "http://capstan.example/", // another scheme is another origin
    "/\\evil.example",
    "/\t/evil.example",
    "/\n/evil.example",
    "\u0000/t",
    "http://[",
    "",
  ])("refuses %j", (value) => {
    expect(resolveCallbackUrl(value, BASE)).toBeNull();
    expect(callbackPath(value, BASE)).toBe("/");
  });

  it("calls only unusable values malformed; another origin is a fallback, not an error", () => {
    expect(callbackUrlProblem("/\\evil.example", BASE)).toMatch(/backslashes/);
    expect(callbackUrlProblem("/\t/evil", BASE)).toMatch(/control characters/);
    expect(callbackUrlProblem("http://[", BASE)).toMatch(/not a valid URL/);
    expect(callbackUrlProblem("https://evil.example/", BASE)).toBeNull();
  });
});
