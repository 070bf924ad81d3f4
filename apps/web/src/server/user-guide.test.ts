import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import {
  GUIDE_DIR,
  guideHref,
  listGuidePages,
  readGuideImage,
  readGuidePage,
  renderGuideMarkdown,
} from "./user-guide";

// A guide folder with a secret file beside it, where a traversal would land.
function fixture(): string {
  const root = mkdtempSync(join(tmpdir(), "capstan-guide-"));
  const dir = join(root, "user");
  mkdirSync(join(dir, "images"), { recursive: true });
  writeFileSync(join(root, "secret.md"), "# SECRET\nroot:x:0:0");
  writeFileSync(join(root, "secret.png"), "SECRET");
  writeFileSync(join(dir, "hosts.md"), "# Hosts\n\nSee [deploys](deployments.md#waves).");
  writeFileSync(join(dir, ".hidden.md"), "# hidden");
  writeFileSync(join(dir, "images", "setup.png"), "PNG");
  return dir;
}

describe("the user guide", () => {
  it("serves the repository's guide pages, with the pages the dashboard and README link to", () => {
    const pages = listGuidePages(GUIDE_DIR);
    for (const name of [
      "index",
      "getting-started",
      "first-deploy",
      "troubleshooting",
      "workflow-format",
      "hosts",
    ])
      expect(pages).toContain(name);
    const page = readGuidePage("getting-started");
    expect(page?.title).toBe("Getting started");
    expect(page?.html).toContain('<a href="/docs/first-deploy">');
    expect(page?.html).toContain('<img src="/docs/images/setup.png"');
  });

  it("reads a page of the folder and nothing outside it", () => {
    const dir = fixture();
    expect(readGuidePage("hosts", dir)?.html).toContain('<a href="/docs/deployments#waves">deploys</a>');
    for (const name of [
      "../secret",
      "..%2Fsecret",
      "../../etc/passwd",
      "/etc/passwd",
      "user/../../secret",
      ".hidden",
      "hosts.md",
      "hosts/",
      "HOSTS",
      "hosts\u0000",
      "",
      "missing",
    ])
      expect(readGuidePage(name, dir), name).toBeNull();
    expect(readGuideImage("setup.png", dir)?.toString()).toBe("PNG");
    for (const name of ["../../secret.png", "..%2F..%2Fsecret.png", "setup.svg", ".png", "a/setup.png"])
      expect(readGuideImage(name, dir), name).toBeNull();
  });

  it("escapes raw HTML and keeps only allowlisted link targets", () => {
    const html = renderGuideMarkdown(
      [
        "# Title <script>alert(1)</script>",
        "",
        '<img src=x onerror="alert(1)">',
        "",
        "Inline <b onclick=x>bold</b>, [bad](javascript:alert(1)), [data](data:text/html,hi),",
        "[repo](../../packages/x.ts), [ok](https://example.com), [page](hosts.md#install) and [here](#a).",
        "",
        "![shot](images/setup.png) ![far](https://example.com/x.png)",
      ].join("\n"),
    );
    expect(html).not.toMatch(/<script|<img src=x|<b onclick|href="javascript|href="data|onerror="/);
    expect(html).toContain("&#60;script&#62;");
    expect(html).toContain('<a href="https://example.com">ok</a>');
    expect(html).toContain('<a href="/docs/hosts#install">page</a>');
    expect(html).toContain('<a href="#a">here</a>');
    expect(html).toContain("repo");
    expect(html).not.toContain('href="../../packages');
    expect(html).toContain('<img src="/docs/images/setup.png" alt="shot"');
    expect(html).not.toContain("https://example.com/x.png");
  });

  it("gives headings the anchors GitHub gives them, numbering duplicates", () => {
    const html = renderGuideMarkdown(
      "## Fleet: agent upgrades\n\n## `POST /api/v1/x`\n\n## Tests\n\n## Tests",
    );
    expect(html).toContain('<h2 id="fleet-agent-upgrades">');
    expect(html).toContain('<h2 id="post-apiv1x">');
    expect(html).toContain('<h2 id="tests">');
    expect(html).toContain('<h2 id="tests-1">');
  });

  it("maps links to guide pages and images, and refuses everything else", () => {
    expect(guideHref("first-deploy.md")).toBe("/docs/first-deploy");
    expect(guideHref("./hosts.md#install")).toBe("/docs/hosts#install");
    expect(guideHref("images/dashboard.png")).toBe("/docs/images/dashboard.png");
    for (const href of [
      "../dev/web.md",
      "JavaScript:alert(1)",
      "//evil.example",
      "images/../x.png",
      "vbscript:x",
    ])
      expect(guideHref(href), href).toBeNull();
  });
});
