// The trust line of a nix service: `flake` and `attribute` reach `nix build` (as one argv element,
// but Nix parses them). Hostile values are refused by validation, at their path, with a message
// that says what is allowed.
import { describe, expect, it } from "vitest";
import { serviceKind } from "./spec";
import { validateWorkflow } from "./validate-workflow";
import { formatWorkflowIssue } from "./workflow-issue";

const workflow = (nix: string) => `name: shop
targets: { hosts: [web-1] }
services:
  web:
    nix:
${nix}
`;
const issues = (nix: string) => {
  const result = validateWorkflow(workflow(nix));
  return result.ok ? [] : result.issues.map(formatWorkflowIssue);
};
const flake = (value: string) =>
  issues(`      flake: ${JSON.stringify(value)}\n      attribute: default\n      exec: [bin/server]`);
const attribute = (value: string) =>
  issues(`      flake: path:/srv/web\n      attribute: ${JSON.stringify(value)}\n      exec: [bin/server]`);

describe("nix services", () => {
  it("accepts local and remote flakes, dotted attributes and defaults the attribute", () => {
    for (const ref of [
      "/srv/web",
      "path:/srv/web",
      "path:/srv/web?dir=sub",
      "https://example.com/web.tar.gz",
      "git+https://git.example.com/team/web.git?ref=main&rev=0123abcd",
      "git+ssh://git@git.example.com:2222/team/web",
      "git+file:///srv/repos/web",
    ])
      expect(flake(ref), ref).toEqual([]);
    expect(attribute("packages.x86_64-linux.default")).toEqual([]);
    const result = validateWorkflow(
      workflow("      flake: /srv/web\n      exec: [bin/server, --port, '8080']"),
    );
    expect(result.ok && result.spec.services.web).toMatchObject({
      nix: {
        flake: "/srv/web",
        attribute: "default",
        exec: ["bin/server", "--port", "8080"],
        user: "dynamic",
      },
    });
    expect(result.ok && serviceKind(result.spec.services.web!)).toBe("nix");
  });

  it.each([
    ["$(touch /tmp/pwned)", /services\.web\.nix\.flake: must be an absolute path .*letters, digits/],
    ["/srv/web;reboot", /services\.web\.nix\.flake: must be an absolute path/],
    ["/srv/web`id`", /services\.web\.nix\.flake: must be an absolute path/],
    ["/srv/web && id", /services\.web\.nix\.flake: must be an absolute path/],
    ["/srv/web\n--option substituters x", /services\.web\.nix\.flake: must be a single line/],
    [
      "--option",
      /services\.web\.nix\.flake: must not start with '-' \(it would be read as an option to nix\)/,
    ],
    ["-L", /must not start with '-'/],
    ["/srv/web#evil", /must not contain '#': put the attribute in `attribute`/],
    ["path:/srv/../etc", /must not contain '\.\.'/],
    ["web", /must be an absolute path/],
    ["file:///etc", /must be an absolute path/],
    ["git+http://example.com/web", /must be an absolute path/],
    ["git+https://example.com/web?ref=main&submodules=1", /query: \?ref=, \?rev=, \?dir=/],
  ])("refuses the flake %j", (value, message) => {
    const found = flake(value);
    expect(found).toHaveLength(1);
    expect(found[0]).toMatch(message);
    expect(found[0]).toMatch(/\(line 6\)$/);
  });

  it.each([
    "default; id",
    "$(id)",
    "default\nx",
    "--option",
    "-L",
    "packages.x86_64-linux.default#x",
    "a..b",
    "a b",
    "'quoted'",
  ])("refuses the attribute %j", (value) => {
    expect(attribute(value)).toEqual([
      expect.stringMatching(
        /^services\.web\.nix\.attribute: must be a flake attribute such as "default", "hello" or "packages\.x86_64-linux\.default"/,
      ),
    ]);
  });

  it("refuses a program outside the package, artifacts and unknown keys", () => {
    expect(issues("      flake: /srv/web\n      exec: [/bin/sh, -c, id]")).toEqual([
      "services.web.nix.exec[0]: must be a path inside the built package, like bin/server (must be a relative path) (line 7)",
    ]);
    expect(issues("      flake: /srv/web\n      exec: [../../bin/sh]")[0]).toMatch(/must not contain '\.\.'/);
    expect(
      issues(
        "      flake: /srv/web\n      exec: [bin/x]\n      artifact: { url: https://e.com/a, sha256: x }",
      ),
    ).toEqual([expect.stringMatching(/^services\.web\.nix\.artifact: unknown key/)]);
  });

  it("tells which keys a service may have", () => {
    const result = validateWorkflow(
      "name: shop\ntargets: { hosts: [web-1] }\nservices:\n  web: { env: {} }\n",
    );
    expect(result.ok ? [] : result.issues.map(formatWorkflowIssue)).toEqual([
      "services.web: must have exactly one of `compose`, `systemd`, `nix` (line 4)",
    ]);
  });
});
