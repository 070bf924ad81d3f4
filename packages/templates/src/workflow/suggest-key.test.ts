import { describe, expect, it } from "vitest";
import { DEFAULT_HOST_POLICY } from "../index";
import { workflowJsonSchema } from "./json-schema";
import { KEY_DOCS } from "./key-docs";
import { describeAt, keysAt } from "./schema-keys";
import { suggestKey } from "./suggest-key";
import { validateWorkflow } from "./validate-workflow";
import { formatWorkflowIssue } from "./workflow-issue";

const SERVICE_KEYS = [
  "env",
  "secrets",
  "healthChecks",
  "deadline",
  "dependsOn",
  "release",
  "tasks",
  "domains",
];

describe("suggestKey", () => {
  it("names the key a near miss meant: case, separators and small typos", () => {
    expect(suggestKey("healthcheck", SERVICE_KEYS)).toBe("healthChecks");
    expect(suggestKey("depends_on", SERVICE_KEYS)).toBe("dependsOn");
    expect(suggestKey("DEPENDS-ON", SERVICE_KEYS)).toBe("dependsOn");
    expect(suggestKey("dependsOn", ["depends_on", "deploy", "devices"])).toBe("depends_on");
    expect(suggestKey("dealine", SERVICE_KEYS)).toBe("deadline");
    expect(suggestKey("secerts", SERVICE_KEYS)).toBe("secrets");
    expect(suggestKey("enviroment", ["environment", "env_file"])).toBe("environment");
  });

  it("stays silent for unrelated keys and for short keys that are merely different", () => {
    expect(suggestKey("banana", SERVICE_KEYS)).toBeUndefined();
    expect(suggestKey("replicas", SERVICE_KEYS)).toBeUndefined();
    expect(suggestKey("foo", ["for", "fob"])).toBeUndefined();
    expect(suggestKey("", SERVICE_KEYS)).toBeUndefined();
    expect(suggestKey("healthChecks", [])).toBeUndefined();
  });
});

const workflow = (service: string) =>
  `name: shop\ntargets: { hosts: [web-1] }\nservices:\n  api:\n${service}\n`;

describe("did you mean, in the validator's messages", () => {
  it("suggests the workflow key at that place, with the line", () => {
    const result = validateWorkflow(
      workflow(
        "    systemd:\n      exec: [/usr/bin/node]\n    healthcheck:\n      - tcp: { port: 80 }\n    depends_on: []",
      ),
    );
    expect(result.issues.map(formatWorkflowIssue)).toEqual([
      "services.api.healthcheck: unknown key; did you mean `healthChecks`? (line 7)",
      "services.api.depends_on: unknown key; did you mean `dependsOn`? (line 9)",
    ]);
  });

  it("suggests inside nested places (systemd, targets) and not for unrelated keys", () => {
    const result = validateWorkflow(
      `name: shop\ntargets: { host: [web-1] }\nservices:\n  api:\n    systemd:\n      exec: [/usr/bin/node]\n      workdir: /srv\n      working_directory: /srv`,
    );
    expect(result.issues.map(formatWorkflowIssue)).toEqual([
      "targets.host: unknown key; did you mean `hosts`? (line 2)",
      "targets: name at least one host in `hosts` or one label in `selector` (line 2)",
      "services.api.systemd.workdir: unknown key (line 7)",
      "services.api.systemd.working_directory: unknown key; did you mean `workingDirectory`? (line 8)",
    ]);
  });

  it("suggests Compose keys from the Compose schema and explains Compose v2-only keys", () => {
    const result = validateWorkflow(
      workflow(
        "    compose:\n      inline:\n        services:\n          web:\n            image: x\n            healthChecks: { test: [CMD, true] }\n            dependsOn: [db]\n            develop: { watch: [] }\n            build:\n              context: /srv/app\n              dockerfile_inline: FROM x\n          db:\n            image: x",
      ),
      { policy: DEFAULT_HOST_POLICY },
    );
    const messages = result.issues.map(formatWorkflowIssue);
    const at = "services.api.compose.inline.services.web";
    expect(messages).toContain(
      `${at}.healthChecks: is not a Compose key (unknown key); did you mean \`healthcheck\`? (line 10)`,
    );
    expect(messages).toContain(
      `${at}.dependsOn: is not a Compose key (unknown key); did you mean \`depends_on\`? (line 11)`,
    );
    expect(messages.find((m) => m.startsWith(`${at}.develop:`))).toMatch(
      /is a Compose v2-only key \(docker-compose 1\.29 does not know it\).*remove it/,
    );
    expect(messages.find((m) => m.startsWith(`${at}.build.dockerfile_inline:`))).toMatch(/Compose v2-only/);
  });
});

describe("schema keys and descriptions", () => {
  const schema = workflowJsonSchema();

  it("lists the keys of every shape a service may take, and their descriptions", () => {
    const keys = [...keysAt(schema, ["services", "api"]).keys()];
    expect(keys).toEqual(expect.arrayContaining(["compose", "systemd", "nix", "healthChecks", "dependsOn"]));
    expect([...keysAt(schema, ["services", "api", "healthChecks", 0, "http"]).keys()]).toEqual(
      expect.arrayContaining(["url", "expectStatus", "timeout"]),
    );
    expect(describeAt(schema, ["services", "api", "healthChecks"])).toMatch(/^Checks the agent runs/);
    expect(describeAt(schema, ["services", "x", "systemd", "hardening", "PrivateTmp"])).toMatch(
      /PrivateTmp=/,
    );
  });

  it("every documented path exists in the schema (a renamed key needs its line renamed)", () => {
    for (const path of Object.keys(KEY_DOCS)) {
      const parts = path.split(".").map((p) => (p === "*" ? "name" : p === "[]" ? 0 : p));
      expect(describeAt(schema, parts), path).toBe(KEY_DOCS[path]);
    }
  });
});
