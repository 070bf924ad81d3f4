import { describe, expect, it } from "vitest";
import { maskSecretValue } from "./import-env-file";
import { parseEnvFile } from "./parse-env-file";

// A literal `${...}` in a .env value: dotenv does not expand it, and neither does Capstan.
const INTERPOLATION = ["$", "{NOT_EXPANDED}"].join("");

describe("parseEnvFile", () => {
  it("reads quotes, comments, export prefixes and blank lines", () => {
    const text = [
      "# database",
      "export DB_PASSWORD='it is # not a comment'",
      'API_KEY="abc def"   # trailing comment',
      "",
      "PLAIN=value#tail",
      "SPACED = padded  ",
      "HASHED='a#b'",
      `DOLLAR='${INTERPOLATION}'`,
    ].join("\r\n");
    const { entries, issues } = parseEnvFile(text);
    expect(issues).toEqual([]);
    expect(Object.fromEntries(entries.map((e) => [e.name, e.value]))).toEqual({
      DB_PASSWORD: "it is # not a comment",
      API_KEY: "abc def",
      PLAIN: "value",
      SPACED: "padded",
      HASHED: "a#b",
      DOLLAR: INTERPOLATION,
    });
    expect(entries.map((e) => e.line)).toEqual([2, 3, 5, 6, 7, 8]);
  });

  it("refuses multi-line values, bad names, duplicates, empties and junk, naming lines but not values", () => {
    const text = [
      'CERT="-----BEGIN-----',
      "c3VwZXJzZWNyZXRib2R5",
      '-----END-----"',
      'ESCAPED="line1\\nline2"',
      "lower_case=topsecretvalue1",
      "DUP=firstsecretvalue",
      "DUP=secondsecretvalue",
      "EMPTY=",
      "just some words",
      "GOOD=fine",
    ].join("\n");
    const { entries, issues } = parseEnvFile(text);
    expect(entries.map((e) => e.name)).toEqual(["GOOD"]);
    const lines = issues.map((i) => i.line);
    expect(lines).toEqual(expect.arrayContaining([1, 2, 3, 4, 5, 7, 8, 9]));
    expect(issues.find((i) => i.name === "CERT")?.message).toMatch(/several lines/);
    expect(issues.find((i) => i.name === "ESCAPED")?.message).toMatch(/several lines/);
    expect(issues.find((i) => i.name === "lower_case")?.message).toMatch(/not a valid secret name/);
    expect(issues.find((i) => i.name === "DUP")?.message).toMatch(/set twice/);
    expect(issues.find((i) => i.name === "EMPTY")?.message).toMatch(/empty/);
    const json = JSON.stringify(issues);
    for (const secret of [
      "c3VwZXJzZWNyZXRib2R5",
      "topsecretvalue1",
      "firstsecretvalue",
      "secondsecretvalue",
      "line1",
    ]) {
      expect(json).not.toContain(secret);
    }
  });

  it("masks previews: short values fully, long values but the first two characters", () => {
    expect(maskSecretValue("short")).toBe("••••••••");
    expect(maskSecretValue("sk_live_1234567890")).toBe("sk••••••••");
    expect(maskSecretValue("sk_live_1234567890")).not.toContain("1234");
  });
});
