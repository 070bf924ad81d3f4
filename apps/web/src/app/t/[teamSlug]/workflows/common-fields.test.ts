import { validateWorkflow } from "@capstan/templates/workflow/validate-workflow";
import { describe, expect, it } from "vitest";
import {
  applyCommonFields,
  parseSelector,
  readCommonFields,
  STARTER_WORKFLOW,
  starterWorkflowFor,
} from "./common-fields";

describe("the editor's common-fields form", () => {
  it("reads name, targets and rollout from the YAML", () => {
    expect(readCommonFields(STARTER_WORKFLOW)).toEqual({
      name: "my-app",
      hosts: [],
      selector: { local: "true" },
      batchSize: "1",
      autoRollback: true,
    });
    expect(readCommonFields("name: [unclosed")).toBeNull();
    expect(readCommonFields("- a list")).toBeNull();
  });

  it("writes them back keeping comments and the rest of the document, and stays valid", () => {
    const edited = applyCommonFields(STARTER_WORKFLOW, {
      name: "shop",
      hosts: ["web-1", "web-2"],
      selector: {},
      batchSize: "50%",
      autoRollback: false,
    })!;
    expect(edited).toContain("# Secret values are set on the workflow's Secrets page, never here.");
    expect(edited).toContain("name: shop");
    expect(edited).toContain("hosts: [web-1, web-2]");
    // Untouched flow lists keep their layout.
    expect(edited).toContain('ports: ["127.0.0.1:8080:80"]');
    expect(edited).not.toContain("selector");
    expect(readCommonFields(edited)).toEqual({
      name: "shop",
      hosts: ["web-1", "web-2"],
      selector: {},
      batchSize: "50%",
      autoRollback: false,
    });
    const result = validateWorkflow(edited);
    expect(result.ok && result.spec.rollout).toEqual({ batchSize: "50%", autoRollback: false });
    expect(result.ok && result.spec.services.web).toBeDefined();
  });

  it("refuses to rewrite text it cannot parse, and parses selectors", () => {
    expect(
      applyCommonFields("a: [", { name: "x", hosts: [], selector: {}, batchSize: "1", autoRollback: true }),
    ).toBeNull();
    expect(parseSelector("role=web, zone=eu-1 junk")).toEqual({ role: "web", zone: "eu-1" });
    expect(
      readCommonFields(
        applyCommonFields("", {
          name: "n",
          hosts: [],
          selector: { a: "b" },
          batchSize: "2",
          autoRollback: true,
        })!,
      ),
    ).toMatchObject({
      name: "n",
      selector: { a: "b" },
      batchSize: "2",
    });
  });

  it("the starter deploys on what a fresh install has: the local agent, or the team's only host", () => {
    const fresh = validateWorkflow(STARTER_WORKFLOW);
    if (!fresh.ok) throw new Error(JSON.stringify(fresh.issues));
    // scripts/local-agent.ts enrols "local" with exactly this label.
    expect(fresh.spec.targets).toEqual({ selector: { local: "true" } });
    expect(fresh.spec.services.web).toMatchObject({
      compose: { inline: { services: { web: { image: "nginx:alpine", ports: ["127.0.0.1:8080:80"] } } } },
      healthChecks: [{ http: { url: "http://127.0.0.1:8080/", expectStatus: 200 } }],
    });

    const one = validateWorkflow(starterWorkflowFor(["box-1"]));
    expect(one.ok && one.spec.targets).toEqual({ hosts: ["box-1"] });
    expect(starterWorkflowFor(["box-1"])).toContain("# Where it runs");
    // None or several: the local agent's label, not a guess among them.
    expect(starterWorkflowFor([])).toBe(STARTER_WORKFLOW);
    expect(starterWorkflowFor(["a", "b"])).toBe(STARTER_WORKFLOW);
  });
});
