import { readFileSync } from "node:fs";
import { join } from "node:path";
import { Ajv2020 } from "ajv/dist/2020.js";
import { describe, expect, it } from "vitest";
import { workflowJsonSchema } from "./json-schema";

describe("workflowJsonSchema", () => {
  it("matches the committed capstan.schema.json (run `npm run schema -w @capstan/templates`)", () => {
    const committed = JSON.parse(
      readFileSync(join(import.meta.dirname, "../../capstan.schema.json"), "utf8"),
    );
    expect(committed).toEqual(workflowJsonSchema());
  });

  it("accepts a workflow and refuses unknown keys, like the validator", () => {
    const validate = new Ajv2020({ strict: false }).compile(workflowJsonSchema());
    const workflow = {
      name: "shop",
      targets: { hosts: ["web-1"] },
      services: { api: { systemd: { exec: ["/usr/bin/node", "server.js"] }, deadline: "2m" } },
    };
    expect(validate(workflow)).toBe(true);
    expect(validate({ ...workflow, extra: 1 })).toBe(false);
    expect(validate({ ...workflow, services: { api: { systemd: { exec: ["/x"], bogus: true } } } })).toBe(
      false,
    );
  });
});
