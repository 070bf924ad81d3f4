// Every folder of templates/catalogue is a template that must pass the real validator with the
// default host policy and the catalogue's review rules; a new folder is checked without touching
// this file.
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { loadCatalogue, loadTemplate } from "./load-catalogue";

const CATALOGUE_DIR = join(import.meta.dirname, "../../../../templates/catalogue");
const folders = readdirSync(CATALOGUE_DIR, { withFileTypes: true })
  .filter((e) => e.isDirectory())
  .map((e) => e.name);
const catalogue = loadCatalogue(CATALOGUE_DIR);

describe("templates/catalogue", () => {
  it("has at least 12 templates", () => {
    expect(folders.length).toBeGreaterThanOrEqual(12);
  });

  it.each(folders)("%s validates with the default host policy and the review rules", (slug) => {
    expect(catalogue.problems.find((p) => p.slug === slug)?.messages ?? []).toEqual([]);
    const template = catalogue.templates.find((t) => t.slug === slug)!;
    expect(template.title.length).toBeGreaterThan(0);
    // Every declared secret carries the text the secrets form shows.
    for (const secret of template.secrets) expect(secret.purpose.length).toBeGreaterThan(10);
  });

  it("covers what people self-host first", () => {
    const slugs = catalogue.templates.map((t) => t.slug);
    for (const slug of ["postgresql", "redis", "static-site", "minio", "gitea", "vaultwarden"])
      expect(slugs).toContain(slug);
    expect(catalogue.templates.some((t) => /^\s+domains:/m.test(t.source))).toBe(true);
    expect(catalogue.templates.some((t) => /^\s+systemd:/m.test(t.source))).toBe(true);
  });
  it("is listed in the user guide's table (docs/user/templates.md)", () => {
    const guide = readFileSync(join(import.meta.dirname, "../../../../docs/user/templates.md"), "utf8");
    const rows = guide.split("\n").filter((line) => line.startsWith("| "));
    for (const template of catalogue.templates)
      expect(
        rows.some((row) => row.startsWith(`| ${template.title} `)),
        template.title,
      ).toBe(true);
  });
});

describe("loadTemplate refuses what review would", () => {
  const dir = mkdtempSync(join(tmpdir(), "capstan-catalogue-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const write = (slug: string, workflow: string | null, meta: string | null) => {
    const folder = join(dir, slug);
    mkdirSync(folder, { recursive: true });
    if (workflow !== null) writeFileSync(join(folder, "capstan.yaml"), workflow);
    if (meta !== null) writeFileSync(join(folder, "template.yaml"), meta);
    return loadTemplate(folder, slug);
  };
  const workflow = (extra: string, image = "busybox:1.36") => `name: t
targets: { hosts: [local] }
secrets: [TOKEN]
services:
  s:
    compose:
      inline:
        services:
          c:
            image: ${image}
${extra}
    secrets: [TOKEN]
    healthChecks: [{ tcp: { port: 80 } }]
`;
  const meta = "title: T\ndescription: d\ntags: [x]\nsecrets:\n  TOKEN: what goes in the token secret\n";

  it("loads a good one", () => {
    expect(write("good", workflow(""), meta)).toMatchObject({ slug: "good", images: ["busybox:1.36"] });
  });

  it("refuses a privileged container and a Docker socket bind (the default host policy)", () => {
    const hostile = write(
      "hostile",
      workflow(
        '            privileged: true\n            volumes: ["/var/run/docker.sock:/var/run/docker.sock"]',
      ),
      meta,
    );
    expect("messages" in hostile && hostile.messages.join("\n")).toMatch(
      /allowPrivileged[\s\S]*allowDockerSocket|allowDockerSocket[\s\S]*allowPrivileged/,
    );
  });

  it("refuses an undescribed secret, an unpinned image and a service without health checks", () => {
    const noHealth = workflow("", "redis:latest").replace("    healthChecks: [{ tcp: { port: 80 } }]\n", "");
    const result = write("sloppy", noHealth, "title: T\ndescription: d\ntags: [x]\n");
    expect("messages" in result ? result.messages : []).toEqual([
      "template.yaml: secrets.TOKEN: say what the user should put in this secret",
      "capstan.yaml: services.s: needs at least one health check (healthChecks)",
      "capstan.yaml: image `redis:latest` must name a version tag (not `latest`), so a deploy is repeatable",
    ]);
    expect(write("untagged", workflow("", "registry.local:5000/app"), meta)).toMatchObject({
      messages: [expect.stringContaining("must name a version tag")],
    });
  });

  it("refuses a bad folder name, a missing file and unknown meta keys", () => {
    expect(loadTemplate(join(dir, "x"), "../etc")).toMatchObject({
      messages: [expect.stringMatching(/folder name/)],
    });
    expect(write("nometa", workflow(""), null)).toMatchObject({
      messages: [expect.stringMatching(/template.yaml is missing/)],
    });
    expect(write("extra", workflow(""), `${meta}image: x\n`)).toMatchObject({
      messages: [expect.stringMatching(/template.yaml: .*image/)],
    });
  });
});
