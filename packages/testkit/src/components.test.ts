import { afterEach, describe, expect, it, vi } from "vitest";

// components.ts reads CI once at import, so each case imports a fresh copy under its own env.
async function load(ci: string | undefined) {
  vi.resetModules();
  vi.stubEnv("CI", ci ?? "");
  return import("./components");
}

afterEach(() => {
  vi.unstubAllEnvs();
  vi.restoreAllMocks();
});

describe("requireComponents", () => {
  it("passes when every component is there", async () => {
    const { requireComponents, executable } = await load(undefined);
    expect(requireComponents("suite", executable(process.execPath))).toBe(true);
  });

  it("outside CI, reports the missing component and lets the suite skip", async () => {
    const { requireComponents, executable } = await load(undefined);
    const warn = vi.spyOn(console, "warn").mockImplementation(() => {});
    expect(requireComponents("suite", executable("/nonexistent/tool"))).toBe(false);
    expect(warn).toHaveBeenCalledWith(expect.stringContaining("/nonexistent/tool is not installed"));
  });

  it("under CI=true, a missing component fails instead of skipping", async () => {
    const { requireComponents, executable } = await load("true");
    expect(() => requireComponents("suite", executable("/nonexistent/tool"))).toThrow(
      /CI=true and a required component is missing.*\/nonexistent\/tool/,
    );
  });
});
