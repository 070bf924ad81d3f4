// Which user guide section explains which dashboard page: the shell's "Help" link looks the
// current route up here, so a page gets its link by adding one row, not by editing the page.
// `route` is the path under /t/<team>, matched by whole segments (the longest match wins; a
// `[param]` segment matches any value). user-guide.test.ts checks every page and anchor exists.

export interface HelpLink {
  route: string;
  page: string;
  anchor?: string;
}

export const HELP_LINKS: HelpLink[] = [
  { route: "", page: "dashboard" },
  { route: "/hosts", page: "hosts" },
  { route: "/hosts/[hostId]", page: "operations", anchor: "what-runs-on-a-host" },
  { route: "/fleet", page: "dashboard", anchor: "fleet-agent-upgrades" },
  { route: "/workflows", page: "workflow-format" },
  { route: "/workflows/new", page: "first-deploy" },
  { route: "/workflows/[workflowId]/secrets", page: "secrets" },
  { route: "/deployments", page: "deployments" },
  { route: "/deployments/[deploymentId]", page: "deployments", anchor: "where-to-see-it" },
  { route: "/templates", page: "templates" },
  { route: "/team", page: "dashboard", anchor: "team-roles-and-the-audit-log" },
  { route: "/audit", page: "dashboard", anchor: "team-roles-and-the-audit-log" },
  { route: "/settings/secrets", page: "secrets", anchor: "team-variables" },
  { route: "/settings/webhooks", page: "webhooks" },
  { route: "/api", page: "api" },
];

function matches(route: string, segments: string[]): boolean {
  const parts = route.split("/").filter(Boolean);
  if (parts.length > segments.length || (parts.length === 0 && segments.length > 0)) return false;
  return parts.every((part, i) => part === segments[i] || /^\[\w+\]$/.test(part));
}

/** The help entry for a path under /t/<team> (e.g. "/hosts/abc"); undefined when none fits. */
export function findHelpLink(pathInTeam: string): HelpLink | undefined {
  const segments = pathInTeam.split("/").filter(Boolean);
  let best: HelpLink | undefined;
  for (const link of HELP_LINKS) {
    if (!matches(link.route, segments)) continue;
    if (!best || link.route.split("/").length > best.route.split("/").length) best = link;
  }
  return best;
}

/** The guide URL for a path under /t/<team>; the guide's index when no entry fits. */
export function helpHref(pathInTeam: string): string {
  const link = findHelpLink(pathInTeam);
  if (!link) return "/docs";
  return `/docs/${link.page}${link.anchor ? `#${link.anchor}` : ""}`;
}
