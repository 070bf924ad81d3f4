import { describe, expect, it } from "vitest";
import { formatLabels, installCommand, parseLabels } from "./install-command";

describe("install command and label text", () => {
  it("builds the one-line install with the token as a flag", () => {
    expect(installCommand("https://capstan.example.com/", "cst_enr_abc")).toBe(
      "curl -fsSL https://capstan.example.com/install.sh | sh -s -- --token cst_enr_abc",
    );
  });

  it("parses and formats key=value labels, refusing anything else", () => {
    expect(parseLabels("role=web, env=prod")).toEqual({ role: "web", env: "prod" });
    expect(parseLabels("")).toEqual({});
    expect(parseLabels("role")).toBeNull();
    expect(parseLabels("=web")).toBeNull();
    expect(formatLabels({ role: "web", env: "prod" })).toBe("role=web, env=prod");
  });
});
