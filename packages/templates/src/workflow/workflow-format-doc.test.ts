// Every example in docs/user/workflow-format.md must validate, so the documentation cannot drift from
// the validator.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { hostPolicySchema, validateComposeDocument } from "../index";
import { checkWorkflowSystemdPolicy } from "./check-systemd-policy";
import { validateWorkflow } from "./validate-workflow";
import { formatWorkflowIssue } from "./workflow-issue";

const doc = readFileSync(join(import.meta.dirname, "../../../../docs/user/workflow-format.md"), "utf8");
export const yamlBlocks = [...doc.matchAll(/```yaml\n([\s\S]*?)```/g)].map((m) => m[1]!);
const composeFile = yamlBlocks.find((b) => b.startsWith("# compose.yaml"));
const workflows = yamlBlocks.filter((b) => b !== composeFile);

describe("docs/user/workflow-format.md", () => {
  it("has the three complete examples and the Compose file one of them uses", () => {
    expect(workflows.length).toBeGreaterThanOrEqual(3);
    expect(composeFile).toBeDefined();
    expect(validateComposeDocument(parse(composeFile!, { version: "1.1" }))).toEqual([]);
  });

  // Nix builds are off in the default policy (they run the flake's builders on the host); the nix
  // example validates with exactly that one key on.
  const policyFor = (source: string) =>
    hostPolicySchema.parse(/^ {4}nix:/m.test(source) ? { allowNixBuilds: true } : {});

  it("refuses the nix example under the default policy, naming allowNixBuilds", () => {
    const nix = workflows.find((source) => /^ {4}nix:/m.test(source))!;
    const result = validateWorkflow(nix, { policy: hostPolicySchema.parse({}) });
    expect(result.ok ? [] : result.issues.map(formatWorkflowIssue).join("\n")).toMatch(/allowNixBuilds/);
  });

  it.each(workflows.map((source) => [/^name: (\S+)/m.exec(source)?.[1] ?? "?", source]))(
    "example %s validates under the default host policy",
    (_name, source) => {
      const result = validateWorkflow(source, {
        policy: policyFor(source),
        readFile: (path) => (path === "compose.yaml" ? composeFile : undefined),
      });
      expect(result.ok ? [] : result.issues.map(formatWorkflowIssue)).toEqual([]);
      // Its systemd services also pass the default host policy's systemd section.
      if (result.ok)
        expect(checkWorkflowSystemdPolicy(result.spec, policyFor(source)).map(formatWorkflowIssue)).toEqual(
          [],
        );
    },
  );
});
