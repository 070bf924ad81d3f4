// Orders services so each comes after everything it depends on. Ties keep the order the
// services were written in, so the plan is stable and predictable.
import type { WorkflowIssue } from "./workflow-issue";

export function orderServices(services: Record<string, { dependsOn: string[] }>): {
  order: string[];
  issues: WorkflowIssue[];
} {
  const names = Object.keys(services);
  const issues: WorkflowIssue[] = [];
  for (const name of names) {
    services[name]!.dependsOn.forEach((dep, index) => {
      if (dep === name)
        issues.push({
          path: ["services", name, "dependsOn", index],
          message: "a service cannot depend on itself",
        });
      else if (!(dep in services))
        issues.push({
          path: ["services", name, "dependsOn", index],
          message: `unknown service \`${dep}\` (defined: ${names.join(", ")})`,
        });
    });
  }
  if (issues.length > 0) return { order: [], issues };

  const done = new Set<string>();
  const order: string[] = [];
  while (order.length < names.length) {
    const next = names.find((n) => !done.has(n) && services[n]!.dependsOn.every((d) => done.has(d)));
    if (next === undefined) break;
    done.add(next);
    order.push(next);
  }
  if (order.length < names.length) {
    const cycle = findCycle(
      services,
      names.filter((n) => !done.has(n)),
    );
    issues.push({
      path: ["services", cycle[0]!, "dependsOn"],
      message: `dependsOn forms a cycle: ${cycle.join(" -> ")}`,
    });
  }
  return { order, issues };
}

function findCycle(services: Record<string, { dependsOn: string[] }>, remaining: string[]): string[] {
  const left = new Set(remaining);
  const start = remaining[0]!;
  const seen: string[] = [];
  let current = start;
  // Every remaining service has a remaining dependency, so walking them must revisit one.
  while (!seen.includes(current)) {
    seen.push(current);
    current = services[current]!.dependsOn.find((d) => left.has(d))!;
  }
  return [...seen.slice(seen.indexOf(current)), current];
}
