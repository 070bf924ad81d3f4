import { describe, expect, it } from "vitest";
import { validateWorkflow } from "./validate-workflow";
import { formatWorkflowIssue } from "./workflow-issue";

const workflow = (service: string) => `name: shop
targets: { hosts: [web-1] }
secrets: [PORT]
services:
  api:
${service}`;

const messages = (source: string) => {
  const result = validateWorkflow(source);
  return result.ok ? [] : result.issues.map(formatWorkflowIssue);
};

describe("systemd.portEnv", () => {
  it("accepts an environment variable name on systemd and nix services", () => {
    const result = validateWorkflow(
      workflow(`    systemd: { exec: [/usr/bin/node, server.js], portEnv: PORT }
    domains: [{ host: api.example.com, port: 8080 }]
`),
    );
    expect(result.ok && result.spec.services.api).toMatchObject({ systemd: { portEnv: "PORT" } });
    const nix = validateWorkflow(
      workflow(`    nix: { flake: "/srv/app", exec: [bin/server], portEnv: HTTP_PORT }
`),
    );
    expect(nix.ok && nix.spec.services.api).toMatchObject({ nix: { portEnv: "HTTP_PORT" } });
  });

  it.each(["port", "1PORT", "PORT-NUMBER", "PORT\nEVIL=1", "PORT=80", "$(id)", ""])(
    "refuses %j, naming the field",
    (value) => {
      const issues = messages(
        workflow(`    systemd: { exec: [/usr/bin/node], portEnv: ${JSON.stringify(value)} }
`),
      );
      expect(issues).toHaveLength(1);
      expect(issues[0]).toMatch(
        /^services\.api\.systemd\.portEnv.*must be an environment variable name like "PORT"/,
      );
    },
  );

  it("refuses a variable the service's env or secrets also set", () => {
    const issues = messages(
      workflow(`    systemd: { exec: [/usr/bin/node], portEnv: PORT }
    env: { PORT: 8080 }
`),
    );
    expect(issues).toEqual([
      expect.stringMatching(/^services\.api\.systemd\.portEnv.*PORT is also set in env: remove it there/),
    ]);
    const secret = messages(
      workflow(`    systemd: { exec: [/usr/bin/node], portEnv: PORT }
    secrets: [PORT]
`),
    );
    expect(secret).toEqual([
      expect.stringMatching(/^services\.api\.systemd\.portEnv.*PORT is also a secret of the service/),
    ]);
  });

  it("refuses domains on several ports", () => {
    const issues = messages(
      workflow(`    nix: { flake: "/srv/app", exec: [bin/server], portEnv: PORT }
    domains: [{ host: a.example.com, port: 8080 }, { host: b.example.com, port: 8081 }]
`),
    );
    expect(issues).toEqual([
      expect.stringMatching(/^services\.api\.nix\.portEnv.*several ports \(8080, 8081\)/),
    ]);
  });
});
