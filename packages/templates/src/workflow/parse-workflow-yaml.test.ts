import { describe, expect, it } from "vitest";
import { MAX_YAML_ALIAS_NODES, MAX_YAML_EXPANDED_NODES, parseWorkflowYaml } from "./parse-workflow-yaml";

/** A Compose file shaped like a large real one: one anchor, a merge key in each of 131 services. */
function manyMergeKeys(services: number): string {
  const lines = [
    "x-default: &default",
    "  restart: unless-stopped",
    "  logging:",
    "    driver: json-file",
    "    options: {max-size: 10m}",
    "x-env: &env",
    "  TZ: ${TZ:-UTC}",
    "services:",
  ];
  for (let i = 0; i < services; i++)
    lines.push(
      `  svc${i}:`,
      "    <<: *default",
      `    image: example/svc${i}:1.0`,
      "    environment: *env",
      "    labels:",
      `      index: "${i}"`,
    );
  return `${lines.join("\n")}\n`;
}

function billionLaughs(): string {
  const letters = "abcdefghij";
  let text = `a: &a [${Array(9).fill('"lol"').join(",")}]\n`;
  for (let i = 1; i < letters.length; i++)
    text += `${letters[i]}: &${letters[i]} [${Array(9)
      .fill(`*${letters[i - 1]}`)
      .join(",")}]\n`;
  return text;
}

describe("parseWorkflowYaml aliases", () => {
  it("accepts a ~790-line Compose file with 131 merge keys and 131 more aliases", () => {
    const text = manyMergeKeys(131);
    expect(text.split("\n").length).toBeGreaterThan(790);
    const result = parseWorkflowYaml(text, { version: "1.1" });
    expect(result.ok ? [] : result.issues).toEqual([]);
    const value = (result.ok ? result.parsed.value : {}) as {
      services: Record<string, Record<string, unknown>>;
    };
    expect(Object.keys(value.services)).toHaveLength(131);
    expect(value.services.svc130).toMatchObject({
      restart: "unless-stopped",
      environment: { TZ: "${TZ:-UTC}" },
    });
  });

  it("refuses a billion-laughs document, naming the limit and the line of the first alias", () => {
    const result = parseWorkflowYaml(billionLaughs());
    expect(result.ok).toBe(false);
    const issue = result.ok ? undefined : result.issues[0];
    expect(issue?.message).toContain(`${MAX_YAML_EXPANDED_NODES} nodes`);
    expect(issue?.message).toContain("line 2");
    expect(issue?.line).toBe(2);
  });

  it("refuses an alias inside its own anchor (an infinite document)", () => {
    const result = parseWorkflowYaml("a: &a [1, *a]\n");
    expect(result.ok ? "" : result.issues[0]!.message).toMatch(/aliases expand to more than/);
  });

  it("refuses more alias nodes than the parser can resolve quickly", () => {
    const text = `a: &a 1\nb: [${Array(MAX_YAML_ALIAS_NODES + 1)
      .fill("*a")
      .join(",")}]\n`;
    const result = parseWorkflowYaml(text);
    expect(result.ok ? "" : result.issues[0]!.message).toContain(`more than ${MAX_YAML_ALIAS_NODES} aliases`);
  });

  it("still parses a large document without aliases", () => {
    const text = `a: [${Array(100_000).fill("1").join(",")}]\n`;
    expect(parseWorkflowYaml(text).ok).toBe(true);
  });
});

describe("parseWorkflowYaml YAML 1.1 scalars", () => {
  it("reads `build: .` as the string `.` (YAML 1.1 floats need a digit), numbers as before", () => {
    const result = parseWorkflowYaml("a: .\nb: -.\nc: .5\nd: 1.\ne: 0440\nf: yes\n", { version: "1.1" });
    expect(result.ok && result.parsed.value).toEqual({ a: ".", b: "-.", c: 0.5, d: 1, e: 288, f: true });
  });
});
