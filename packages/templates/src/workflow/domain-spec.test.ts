import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import {
  acmeDirectory,
  domainHostProblem,
  domainNames,
  LETS_ENCRYPT_STAGING_DIRECTORY,
  tlsSchema,
} from "./domain-spec";
import { validateWorkflow } from "./validate-workflow";
import { formatWorkflowIssue } from "./workflow-issue";

const workflow = (domains: string, extra = "") => `name: shop
targets: { hosts: [web-1] }
${extra}services:
  web:
    compose:
      inline:
        services:
          app: { image: capstan-busybox:test }
    domains: ${domains}
  api:
    systemd: { exec: [/usr/bin/node, server.js] }
`;

const issuesOf = (source: string) => {
  const result = validateWorkflow(source);
  return result.ok ? [] : result.issues.map(formatWorkflowIssue);
};

describe("domains", () => {
  it("accepts a domain with every option and applies the defaults", () => {
    const result = validateWorkflow(
      workflow(
        `[{ host: shop.example.com, port: 8080, path: /api/v1, www: redirect-to-apex, headers: { X-Frame-Options: DENY }, hsts: { maxAge: 600 } }]`,
        "tls: { issuer: acme, acme: { staging: true, email: ops@example.com } }\n",
      ),
    );
    expect(result.ok ? [] : result.issues.map(formatWorkflowIssue)).toEqual([]);
    if (!result.ok) return;
    expect(result.spec.services.web!.domains).toEqual([
      {
        host: "shop.example.com",
        port: 8080,
        path: "/api/v1",
        redirectHttp: true,
        www: "redirect-to-apex",
        headers: { "X-Frame-Options": "DENY" },
        hsts: { maxAge: 600, includeSubdomains: false, preload: false },
      },
    ]);
    expect(acmeDirectory(result.spec.tls!)).toBe(LETS_ENCRYPT_STAGING_DIRECTORY);
    expect(domainNames(result.spec.services.web!.domains![0]!)).toEqual([
      "shop.example.com",
      "www.shop.example.com",
    ]);
  });

  it("leaves a workflow without domains exactly as before (no new defaults in its content hash)", () => {
    const result = validateWorkflow(workflow("[]").replace("    domains: []\n", ""));
    expect(result.ok && "domains" in result.spec.services.web!).toBe(false);
    expect(result.ok && "tls" in result.spec).toBe(false);
  });

  it.each([
    ["Shop.example.com", /must be lower case \(write "shop.example.com"\)/],
    ["shop_1.example.com", /must be a DNS name/],
    ["-shop.example.com", /must be a DNS name/],
    ["localhost", /must be a DNS name/],
    ["10.0.0.1", /must be a DNS name/],
    ["*.example.com", /wildcard/],
    [`${"a".repeat(64)}.example.com`, /must be a DNS name/],
    [`${"abcdefghi.".repeat(26)}com`, /at most 253/],
    ["shop.example.com.", /must be a DNS name/],
    ["shop..example.com", /must be a DNS name/],
  ])("refuses the host name %s, naming the field", (host, message) => {
    const issues = issuesOf(workflow(`[{ host: "${host}", port: 80 }]`));
    expect(issues).toHaveLength(1);
    expect(issues[0]).toMatch(/^services\.web\.domains\[0\]\.host: /);
    expect(issues[0]).toMatch(message);
  });

  it.each([0, 65536, -1, 80.5])("refuses the port %s", (port) => {
    expect(issuesOf(workflow(`[{ host: shop.example.com, port: ${port} }]`))).toEqual([
      expect.stringMatching(/^services\.web\.domains\[0\]\.port: /),
    ]);
  });

  it.each(["/../etc", "/a/../../b", "api", "/a b", "/a%2e%2e", "/./x", "/a?b=1"])(
    "refuses the path %s",
    (path) => {
      expect(issuesOf(workflow(`[{ host: shop.example.com, port: 80, path: "${path}" }]`))).toEqual([
        expect.stringMatching(/^services\.web\.domains\[0\]\.path: /),
      ]);
    },
  );

  it("refuses header values with CR/LF and header names the ingress owns", () => {
    const crlf = issuesOf(
      workflow(`[{ host: shop.example.com, port: 80, headers: { X-A: "ok\\r\\nSet-Cookie: pwned=1" } }]`),
    );
    expect(crlf).toEqual([expect.stringMatching(/^services\.web\.domains\[0\]\.headers\.X-A: .*no newline/)]);
    expect(
      issuesOf(workflow(`[{ host: shop.example.com, port: 80, headers: { "X A": "1" } }]`)),
    ).toHaveLength(1);
    expect(
      issuesOf(workflow(`[{ host: shop.example.com, port: 80, headers: { Transfer-Encoding: chunked } }]`)),
    ).toEqual([expect.stringMatching(/set by the ingress/)]);
  });

  it("checks the Compose service a domain names and refuses `service` on a systemd service", () => {
    expect(issuesOf(workflow(`[{ host: shop.example.com, port: 80, service: nope }]`))).toEqual([
      expect.stringMatching(/domains\[0\]\.service: `nope` is not a service of the Compose file \(app\)/),
    ]);
    const systemd = workflow("[]").replace(
      "systemd: { exec: [/usr/bin/node, server.js] }",
      "systemd: { exec: [/usr/bin/node, server.js] }\n    domains: [{ host: api.example.com, port: 3000, service: app }]",
    );
    expect(issuesOf(systemd)).toEqual([
      expect.stringMatching(/^services\.api\.domains\[0\]\.service: only Compose/),
    ]);
  });

  it("refuses one name routed to two services of the workflow, and repeats within a service", () => {
    const twice = workflow("[{ host: shop.example.com, port: 80 }]").replace(
      "systemd: { exec: [/usr/bin/node, server.js] }",
      "systemd: { exec: [/usr/bin/node, server.js] }\n    domains: [{ host: www.shop.example.com, port: 3000, www: redirect-to-apex }]",
    );
    expect(issuesOf(twice).join("\n")).toMatch(/redirect-to-apex needs the apex/);
    const same = workflow("[{ host: shop.example.com, port: 80 }, { host: shop.example.com, port: 81 }]");
    expect(issuesOf(same)).toEqual([
      expect.stringMatching(/domains\[1\]\.host: .*already listed at domains\[0\]/),
    ]);
  });

  it("validates the tls choice", () => {
    expect(tlsSchema.safeParse({ issuer: "internal" }).success).toBe(true);
    expect(tlsSchema.safeParse({ issuer: "internal", acme: {} }).success).toBe(false);
    expect(
      tlsSchema.safeParse({ acme: { staging: true, directory: "https://ca.example/dir" } }).success,
    ).toBe(false);
    expect(tlsSchema.safeParse({ acme: { directory: "http://ca.example/dir" } }).success).toBe(false);
    expect(issuesOf(workflow("[]", "tls: { acme: { eab: { keyId: kid, hmacKey: EAB_KEY } } }\n"))).toEqual([
      expect.stringMatching(/^tls\.acme\.eab\.hmacKey: secret `EAB_KEY` is not declared/),
    ]);
  });

  it("validates an uploaded certificate: both secrets, declared, only with issuer custom", () => {
    expect(tlsSchema.safeParse({ issuer: "custom", certificate: "CERT", key: "KEY" }).success).toBe(true);
    expect(tlsSchema.safeParse({ issuer: "custom", certificate: "CERT" }).success).toBe(false);
    expect(tlsSchema.safeParse({ issuer: "acme", certificate: "CERT", key: "KEY" }).success).toBe(false);
    expect(tlsSchema.safeParse({ issuer: "custom", certificate: "../cert.pem", key: "KEY" }).success).toBe(
      false,
    );
    expect(
      issuesOf(workflow("[]", "tls: { issuer: custom, certificate: SHOP_CERT, key: SHOP_KEY }\n")),
    ).toEqual([
      expect.stringMatching(/^tls\.certificate: secret `SHOP_CERT` is not declared/),
      expect.stringMatching(/^tls\.key: secret `SHOP_KEY` is not declared/),
    ]);
  });

  it("names the problem of a host name in plain words", () => {
    expect(domainHostProblem("shop.example.com")).toBeNull();
    expect(domainHostProblem("xn--bcher-kva.example")).toBeNull();
  });
});

describe("docs/user/domains.md", () => {
  it("has an example that validates", () => {
    const doc = readFileSync(join(import.meta.dirname, "../../../../docs/user/domains.md"), "utf8");
    const examples = [...doc.matchAll(/```yaml\n([\s\S]*?)```/g)].map((m) => m[1]!);
    expect(examples.length).toBeGreaterThan(0);
    for (const source of examples) expect(issuesOf(source)).toEqual([]);
  });
});
