import { describe, expect, it } from "vitest";
import { validateWorkflowSpec } from "./validate-workflow";
import { formatWorkflowIssue } from "./workflow-issue";

const composeApp = (services: Record<string, unknown>, release: unknown) => ({
  compose: { inline: { services } },
  release,
});

function issuesOf(spec: Record<string, unknown>): string[] {
  const result = validateWorkflowSpec({ name: "shop", targets: { hosts: ["web-1"] }, ...spec });
  return result.ok ? [] : result.issues.map(formatWorkflowIssue);
}

const web = { image: "shop:1" };

describe("release commands and registries", () => {
  it("accepts a Compose release command and fills the default timeout", () => {
    const result = validateWorkflowSpec({
      name: "shop",
      targets: { hosts: ["web-1"] },
      services: { app: composeApp({ web }, { command: ["bin/rails", "db:migrate"] }) },
    });
    expect(result.ok).toBe(true);
    if (result.ok)
      expect(result.spec.services.app!.release).toEqual({
        command: ["bin/rails", "db:migrate"],
        timeout: 300,
      });
  });

  it("picks the only service, the named one, or the first with build; else asks to name one", () => {
    expect(issuesOf({ services: { app: composeApp({ web, db: web }, { command: ["migrate"] }) } })).toEqual([
      "services.app.release.service: the Compose file has 2 services: name the one that runs the release command with `release.service`",
    ]);
    expect(
      issuesOf({ services: { app: composeApp({ web, db: web }, { command: ["migrate"], service: "web" }) } }),
    ).toEqual([]);
    expect(
      issuesOf({ services: { app: composeApp({ web: { build: "." }, db: web }, { command: ["migrate"] }) } }),
    ).toEqual([]);
    expect(
      issuesOf({ services: { app: composeApp({ web }, { command: ["migrate"], service: "worker" }) } }),
    ).toEqual([
      "services.app.release.service: `release.service` names `worker`, which is not a service of the Compose file (it has: web)",
    ]);
  });

  it("refuses programs that would be read as options, leave the folder, or span lines (the attack)", () => {
    for (const program of ["--entrypoint=/bin/sh", "-v", "../../bin/sh", "bin/../../x", "a b", "$(id)"]) {
      const issues = issuesOf({ services: { app: composeApp({ web }, { command: [program] }) } });
      expect(issues, program).toEqual([
        expect.stringMatching(/^services\.app\.release\.command\[0\]: the program must be/),
      ]);
    }
    expect(
      issuesOf({ services: { app: composeApp({ web }, { command: ["/bin/sh", "-c", "a\nb"] }) } }),
    ).toEqual([expect.stringMatching(/command\[2\]: must be a single line/)]);
  });

  it("asks systemd for an absolute path or current/..., and refuses `service` outside Compose", () => {
    const unit = (release: unknown) => ({
      services: { api: { systemd: { exec: ["/usr/bin/node", "server.js"] }, release } },
    });
    expect(issuesOf(unit({ command: ["/usr/bin/node", "migrate.js"], timeout: "10m" }))).toEqual([]);
    expect(issuesOf(unit({ command: ["node", "migrate.js"] }))).toEqual([
      "services.api.release.command[0]: must be an absolute path, or current/... for a file from the new release's artifact",
    ]);
    expect(issuesOf(unit({ command: ["/usr/bin/node"], service: "web" }))).toEqual([
      "services.api.release.service: only Compose services choose a service for their release command; remove `service`",
    ]);
  });

  it("takes registries whose password is a declared secret, with a bare host[:port]", () => {
    const app = { compose: { inline: { services: { web } } } };
    const registry = { server: "registry.example.com:5000", username: "ci", password: "REG_TOKEN" };
    expect(issuesOf({ secrets: ["REG_TOKEN"], registries: [registry], services: { app } })).toEqual([]);
    expect(issuesOf({ registries: [registry], services: { app } })).toEqual([
      "registries[0].password: secret `REG_TOKEN` is not declared in the top-level `secrets` list",
    ]);
    for (const server of ["https://registry.example.com", "registry.example.com/path", "-H", "a b"]) {
      const issues = issuesOf({
        secrets: ["REG_TOKEN"],
        registries: [{ ...registry, server }],
        services: { app },
      });
      expect(issues, server).toEqual([
        expect.stringMatching(/^registries\[0\]\.server: must be a registry host/),
      ]);
    }
    expect(
      issuesOf({
        secrets: ["REG_TOKEN"],
        registries: [{ ...registry, username: "--password=x" }],
        services: { app },
      }),
    ).toEqual([expect.stringMatching(/^registries\[0\]\.username: must be letters/)]);
    expect(issuesOf({ secrets: ["REG_TOKEN"], registries: [registry, registry], services: { app } })).toEqual(
      ["registries: each registry server may appear once"],
    );
  });
});
