import { describe, expect, it } from "vitest";
import { gitRefProblem, gitUrlProblem, parseGitUrl } from "./git-source-spec";
import { validateWorkflow } from "./validate-workflow";
import { formatWorkflowIssue } from "./workflow-issue";

describe("git source URLs", () => {
  it.each([
    ["https://github.com/acme/shop.git", { scheme: "https", host: "github.com", port: null, user: null }],
    ["http://10.0.0.5:3000/acme/shop", { scheme: "http", host: "10.0.0.5", port: 3000 }],
    ["https://oauth2@gitlab.example.com/acme/shop.git", { user: "oauth2" }],
    ["ssh://git@git.example.com:2222/acme/shop.git", { scheme: "ssh", port: 2222, user: "git" }],
    [
      "git@github.com:acme/shop.git",
      { scheme: "ssh", host: "github.com", user: "git", path: "acme/shop.git" },
    ],
    ["https://[2001:db8::1]/shop.git", { host: "2001:db8::1" }],
  ])("accepts %s", (url, expected) => {
    expect(parseGitUrl(url)).toMatchObject(expected);
  });

  it.each([
    ["file:///etc", /file:\/\//],
    ["FILE:///etc", /file:\/\//],
    ["ext::sh -c id", /whitespace/],
    ["ext::id", /command \(ext::\)/],
    ["fd::17", /command \(ext::\)/],
    ["--upload-pack=id", /start with '-'/],
    ["https://user:token@github.com/acme/shop.git", /password/],
    ["https://github.com/acme/shop.git?x=1", /not a repository URL/],
    ["https://github.com/../etc", /'\.\.'/],
    ["git@host:-oProxyCommand=id", /not a repository URL/],
    ["host:path", /not a repository URL/],
    ["/srv/repo.git", /not a repository URL/],
    ["https://github.com/a\u0000b", /control characters/],
    ["", /at most 2048/],
  ])("refuses %s", (url, message) => {
    expect(gitUrlProblem(url)).toMatch(message);
  });
});

describe("git refs", () => {
  it.each([
    "main",
    "v1.2.0",
    "release/2026-01",
    "refs/heads/main",
    "a".repeat(40),
    "0123456789abcdef0123456789abcdef01234567",
  ])("accepts %s", (ref) => expect(gitRefProblem(ref)).toBeNull());
  it.each([
    "-x",
    "--upload-pack=id",
    "a..b",
    "a//b",
    ".hidden",
    "x.lock",
    "x/",
    "x.",
    "a b",
    "a~1",
    "HEAD@{1}",
    "",
  ])("refuses %j", (ref) => expect(gitRefProblem(ref)).not.toBeNull());
});

describe("source: in capstan.yaml", () => {
  const workflow = (source: string, secrets = "") => `name: shop
targets: {hosts: [web-1]}
${secrets}source:
${source}
services:
  web:
    compose: {inline: {services: {web: {image: nginx}}}}
`;

  it("normalises the ref to main and needs the credentials secret declared", () => {
    const ok = validateWorkflow(workflow("  git: {url: 'git@github.com:acme/shop.git', path: app}"));
    expect(ok.ok && ok.spec.source).toEqual({
      git: { url: "git@github.com:acme/shop.git", ref: "main", path: "app" },
    });
    const undeclared = validateWorkflow(
      workflow("  git: {url: 'https://github.com/acme/shop.git', credentials: GIT_TOKEN}"),
    );
    expect(undeclared.ok ? [] : undeclared.issues.map(formatWorkflowIssue)).toEqual([
      expect.stringMatching(/source\.git\.credentials.*`GIT_TOKEN` is not declared/),
    ]);
    const declared = validateWorkflow(
      workflow(
        "  git: {url: 'https://github.com/acme/shop.git', credentials: GIT_TOKEN}",
        "secrets: [GIT_TOKEN]\n",
      ),
    );
    expect(declared.ok).toBe(true);
  });

  it("refuses hostile values with the key's path", () => {
    const result = validateWorkflow(
      workflow("  git: {url: 'ext::sh', ref: '--upload-pack=x', path: ../x, extra: 1}"),
    );
    const text = result.ok ? "" : result.issues.map(formatWorkflowIssue).join("\n");
    expect(text).toMatch(/source\.git\.url.*ext::/);
    expect(text).toMatch(/source\.git\.ref/);
    expect(text).toMatch(/source\.git\.path/);
    expect(text).toMatch(/extra/);
  });
});
