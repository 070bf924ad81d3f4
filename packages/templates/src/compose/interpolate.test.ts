import { describe, expect, it } from "vitest";
import { escapeDollars, interpolateDocument, interpolateString } from "./interpolate";

const vars = { SET: "value", EMPTY: "", ROOT: "/" };

describe("interpolateString (Compose's rules)", () => {
  it.each([
    ["$SET and ${SET}", "value and value"],
    ["${UNSET}|$UNSET", "|"],
    ["${UNSET:-d} ${EMPTY:-d} ${SET:-d}", "d d value"],
    ["${UNSET-d} ${EMPTY-d} ${SET-d}", "d  value"],
    ["${UNSET:+a} ${EMPTY:+a} ${SET:+a}", "  a"],
    ["${UNSET+a} ${EMPTY+a} ${SET+a}", " a a"],
    ["${UNSET:-${ROOT}etc}", "/etc"],
    ["$$HOME $${SET} $$$SET", "$HOME ${SET} $value"],
    ["100$ and $1 and $ alone", "100$ and $1 and $ alone"],
    ["${SET}${SET}", "valuevalue"],
  ])("%s", (text, expected) => {
    expect(interpolateString(text, vars)).toBe(expected);
  });

  it.each([
    ["${UNSET:?need it}", /required variable UNSET is missing a value: need it/],
    ["${EMPTY:?}", /required variable EMPTY is missing a value/],
    ["${UNSET?x}", /required variable UNSET/],
    ["${1BAD}", /not a valid variable reference/],
    ["${SET", /no closing brace/],
    ["${SET/x/y}", /not a valid variable reference/],
  ])("refuses %s", (text, error) => {
    expect(() => interpolateString(text, vars)).toThrow(error);
  });

  it("keeps ${EMPTY?x} (set, even if empty)", () => {
    expect(interpolateString("${EMPTY?x}", vars)).toBe("");
  });

  it("interpolates values, not keys, and reports issues at their path", () => {
    const result = interpolateDocument({ $SET: ["$SET", { k: "${UNSET:?no}" }], n: 1, b: true }, vars);
    expect(result.value).toEqual({ $SET: ["value", { k: "${UNSET:?no}" }], n: 1, b: true });
    expect(result.issues).toEqual([
      { path: ["$SET", 1, "k"], message: "required variable UNSET is missing a value: no" },
    ]);
  });

  it("escapes every $ of values so a second interpolation gives the same text back", () => {
    const values = ["$HOME", "${ROOT}", "$$", "a$", "${X:-$(id)}"];
    const escaped = escapeDollars({ $key: values }) as Record<string, string[]>;
    expect(Object.keys(escaped)).toEqual(["$key"]);
    expect(interpolateDocument(escaped, vars).value).toEqual({ $key: values });
  });
});
