import { endpoints } from "@capstan/protocol/public-api/endpoints";
import { describe, expect, it } from "vitest";
import { buildApiReference, curlExamples } from "./api-reference";
import { buildOpenApiDocument } from "./openapi";

const URL_ = "https://capstan.example.com";

describe("API reference page data", () => {
  const sections = buildApiReference(buildOpenApiDocument({ serverUrl: URL_ }), URL_);
  const operations = sections.flatMap((s) => s.operations);

  it("lists every endpoint once, grouped by tag, with its minimum role", () => {
    expect(operations.map((o) => `${o.method} ${o.path}`).sort()).toEqual(
      Object.values(endpoints)
        .map((e) => `${e.method} ${e.path}`)
        .sort(),
    );
    expect(sections.map((s) => s.tag)).toEqual(["Deployments", "Hosts", "Workflows", "Meta"]);
    const create = operations.find((o) => o.id === "createDeployment")!;
    expect(create.minRole).toBe("DEPLOYER");
    expect(create.fields.map((f) => `${f.where}:${f.name}`)).toEqual(
      expect.arrayContaining([
        "query:wait",
        "header:Idempotency-Key",
        "body:workflow",
        "body:yaml",
        "body:revision",
      ]),
    );
    expect(create.fields.find((f) => f.name === "wait")!.type).toBe("integer 0-300, default 30");
    expect(create.fields.find((f) => f.name === "revision")!.type).toBe('integer | "latest"');
    expect(create.responses.find((r) => r.status === "202")!.schema).toBe("Deployment");
  });

  it("writes curl commands for this control plane, with the token only where one is needed", () => {
    for (const op of operations) {
      for (const example of op.examples) {
        expect(example.command).toContain(`${URL_}/api/v1/`);
        expect(example.command.includes("Authorization: Bearer $CAPSTAN_TOKEN")).toBe(op.minRole !== null);
        expect(example.command).not.toMatch(/\{\w+\}/);
      }
    }
    const [byName, byYaml] = curlExamples("POST", "/api/v1/deployments", URL_, "DEPLOYER");
    expect(byName!.command).toContain('-H "Idempotency-Key: $CI_JOB_ID"');
    expect(byName!.command).toContain(`${URL_}/api/v1/deployments?wait=300`);
    expect(byYaml!.command).toContain("--data-binary @capstan.yaml");
    expect(curlExamples("GET", "/api/v1/deployments/{id}", URL_, "VIEWER")[0]!.command).toBe(
      `curl -fsS \\\n  -H "Authorization: Bearer $CAPSTAN_TOKEN" \\\n  ${URL_}/api/v1/deployments/$ID`,
    );
  });
});
