import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { headingSlugs } from "@/lib/heading-slug";
import { findHelpLink, HELP_LINKS, helpHref } from "./help-links";

const GUIDE = resolve(import.meta.dirname, "../../../../../docs/user");
const TEAM_APP = resolve(import.meta.dirname, "../../app/t/[teamSlug]");

/** Every dashboard route under /t/<team> that has a page, as "/hosts/[hostId]". */
function dashboardRoutes(dir = TEAM_APP, prefix = ""): string[] {
  return readdirSync(dir).flatMap((entry) => {
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) return dashboardRoutes(path, `${prefix}/${entry}`);
    return entry === "page.tsx" ? [prefix] : [];
  });
}

describe("the dashboard's Help links", () => {
  it.each(HELP_LINKS.map((l) => [l.route || "/", l]))(
    "%s links to a guide page and heading that exist",
    (_r, link) => {
      const markdown = readFileSync(join(GUIDE, `${link.page}.md`), "utf8");
      if (link.anchor) expect([...headingSlugs(markdown)]).toContain(link.anchor);
    },
  );

  it("covers every dashboard page", () => {
    const routes = dashboardRoutes();
    expect(routes).toContain("/hosts/[hostId]");
    const uncovered = routes.filter((route) => !findHelpLink(route));
    expect(uncovered).toEqual([]);
  });

  it("picks the most specific entry for a real path", () => {
    expect(helpHref("")).toBe("/docs/dashboard");
    expect(helpHref("/hosts")).toBe("/docs/hosts");
    expect(helpHref("/hosts/cm123abc")).toBe("/docs/operations#what-runs-on-a-host");
    expect(helpHref("/workflows/cm1/secrets")).toBe("/docs/secrets");
    expect(helpHref("/workflows/cm1/edit")).toBe("/docs/workflow-format");
    expect(helpHref("/deployments/cm9")).toBe("/docs/deployments#where-to-see-it");
    expect(helpHref("/no-such-page")).toBe("/docs");
  });
});
