import { describe, expect, it } from "vitest";
import { renderExport } from "../export/render-export";
import {
  substituteTeamReferences,
  teamReferenceNames,
  teamReferenceProblem,
  workflowTeamReferences,
} from "./team-references";
import { validateWorkflow } from "./validate-workflow";

const workflow = (value: string) => `name: shop
targets: { hosts: [web-1] }
services:
  api:
    env:
      DATABASE_URL: ${JSON.stringify(value)}
    systemd:
      exec: ["/usr/bin/node", "server.js"]
`;

describe("team variable references", () => {
  it("finds references inside longer values and substitutes each", () => {
    const value = "postgres://app@${{ team.DB_HOST }}:${{team.DB_PORT}}/app?h=${{ team.DB_HOST }}";
    expect(teamReferenceProblem(value)).toBeNull();
    expect(teamReferenceNames(value)).toEqual(["DB_HOST", "DB_PORT"]);
    const values: Record<string, string> = { DB_HOST: "db.internal", DB_PORT: "5432" };
    expect(substituteTeamReferences(value, (n) => values[n]!)).toBe(
      "postgres://app@db.internal:5432/app?h=db.internal",
    );
  });

  it("substitutes values literally ($& and $1 are not replacement patterns)", () => {
    expect(substituteTeamReferences("x=${{ team.A }}", () => "$&$1$$")).toBe("x=$&$1$$");
  });

  it.each([
    ["${{ team.a-b }}", "`a-b` is not a team variable name"],
    ["${{ team.db_host }}", "`db_host` is not a team variable name"],
    ["${{ team.X", "is not closed"],
    ["ok ${{ team.OK }} then ${{ team.X", "is not closed"],
    ["${{ secrets.X }}", "env values may name team variables only"],
    ["${{ team.A B }}", "`A B` is not a team variable name"],
  ])("refuses %s with a message that says how to write it", (value, message) => {
    expect(teamReferenceProblem(value)).toContain(message);
    const result = validateWorkflow(workflow(value));
    expect(result.ok).toBe(false);
    if (result.ok) return;
    const issue = result.issues.find((i) => i.path.join(".") === "services.api.env.DATABASE_URL");
    expect(issue?.message).toContain(message);
    expect(issue?.message).toContain("${{ team.DB_HOST }}");
  });

  it("accepts a workflow with references and keeps them as written in the spec", () => {
    const result = validateWorkflow(workflow("postgres://app@${{ team.DB_HOST }}:5432/app"));
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.spec.services.api!.env.DATABASE_URL).toBe("postgres://app@${{ team.DB_HOST }}:5432/app");
    expect(workflowTeamReferences(result.spec)).toEqual([
      { name: "DB_HOST", path: ["services", "api", "env", "DATABASE_URL"] },
    ]);
    // An export keeps the reference as written: the value lives in the team, not the workflow.
    const files = renderExport({ spec: result.spec });
    const example = Object.entries(files).find(([path]) => path.endsWith("api.env.example"));
    expect(example?.[1].content).toContain("DATABASE_URL='postgres://app@${{ team.DB_HOST }}:5432/app'");
  });

  it("checks a Compose document interpolated with a reference as a stand-in", () => {
    const result = validateWorkflow(`name: shop
targets: { hosts: [web-1] }
services:
  web:
    env: { TAG: "\${{ team.WEB_TAG }}" }
    compose:
      inline:
        services:
          web: { image: "nginx:\${TAG}" }
`);
    expect(result.ok ? [] : result.issues).toEqual([]);
  });
});
