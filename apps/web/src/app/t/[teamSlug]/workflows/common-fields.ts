// The editor's form edits the same YAML text as the textarea: read the common fields out of the
// document and write them back with the yaml Document API, so comments and the rest of the
// file survive a form edit.
import { isMap, parseDocument } from "yaml";

export interface CommonFields {
  name: string;
  /** Host names, comma or space separated in the form. */
  hosts: string[];
  /** Label selector as key=value pairs. */
  selector: Record<string, string>;
  batchSize: string;
  autoRollback: boolean;
}

const EMPTY_FIELDS: CommonFields = {
  name: "",
  hosts: [],
  selector: {},
  batchSize: "1",
  autoRollback: true,
};

/** The common fields, or null when the text is not a YAML mapping we can read. */
export function readCommonFields(source: string): CommonFields | null {
  const doc = parseDocument(source);
  if (doc.errors.length > 0) return null;
  const value = doc.toJS() as Record<string, unknown> | null;
  if (!value || typeof value !== "object" || Array.isArray(value)) return source.trim() ? null : EMPTY_FIELDS;
  const targets = (value.targets ?? {}) as { hosts?: unknown; selector?: unknown };
  const rollout = (value.rollout ?? {}) as { batchSize?: unknown; autoRollback?: unknown };
  const selector: Record<string, string> = {};
  if (targets.selector && typeof targets.selector === "object")
    for (const [k, v] of Object.entries(targets.selector)) selector[k] = String(v);
  return {
    name: typeof value.name === "string" ? value.name : "",
    hosts: Array.isArray(targets.hosts) ? targets.hosts.map(String) : [],
    selector,
    batchSize: rollout.batchSize === undefined ? "1" : String(rollout.batchSize),
    autoRollback: rollout.autoRollback !== false,
  };
}

/** The source with the common fields replaced; null when the text cannot be edited safely. */
export function applyCommonFields(source: string, fields: CommonFields): string | null {
  const doc = parseDocument(source.trim() === "" ? "{}" : source);
  if (doc.errors.length > 0 || (doc.contents !== null && !isMap(doc.contents))) return null;
  if (doc.has("targets") && !isMap(doc.get("targets"))) return null;
  if (doc.has("rollout") && !isMap(doc.get("rollout"))) return null;
  doc.set("name", fields.name);
  if (fields.hosts.length > 0) doc.setIn(["targets", "hosts"], doc.createNode(fields.hosts, { flow: true }));
  else if (doc.hasIn(["targets", "hosts"])) doc.deleteIn(["targets", "hosts"]);
  if (Object.keys(fields.selector).length > 0)
    doc.setIn(["targets", "selector"], doc.createNode(fields.selector, { flow: true }));
  else if (doc.hasIn(["targets", "selector"])) doc.deleteIn(["targets", "selector"]);
  const batch = fields.batchSize.trim();
  doc.setIn(["rollout", "batchSize"], /^\d+$/.test(batch) ? Number(batch) : batch);
  doc.setIn(["rollout", "autoRollback"], fields.autoRollback);
  // No padding inside [a, b] so a form edit does not rewrite every flow list in the file.
  return doc.toString({ lineWidth: 0, flowCollectionPadding: false });
}

export function parseHostList(text: string): string[] {
  return text
    .split(/[\s,]+/)
    .map((h) => h.trim())
    .filter(Boolean);
}

/** "role=web, zone=eu" -> { role: "web", zone: "eu" }; entries without "=" are ignored. */
export function parseSelector(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of text.split(/[\s,]+/)) {
    const eq = part.indexOf("=");
    if (eq > 0) out[part.slice(0, eq)] = part.slice(eq + 1);
  }
  return out;
}

export function formatSelector(selector: Record<string, string>): string {
  return Object.entries(selector)
    .map(([k, v]) => `${k}=${v}`)
    .join(", ");
}

/**
 * The new-workflow page's example: deploys at once on a fresh install. It targets the host
 * `npm start` enrols (named "local", labelled local=true; scripts/local-agent.ts), uses a small
 * public image, publishes on loopback only, and the agent gates the deploy on an HTTP check.
 */
export const STARTER_WORKFLOW = `# capstan.yaml: one or more services, where they run, and how to roll them out.
name: my-app
description: nginx serving its welcome page
# Where it runs: hosts by name, or every host with these labels.
targets:
  selector: { local: "true" }
rollout:
  batchSize: 1
  autoRollback: true
# Secret values are set on the workflow's Secrets page, never here.
secrets: []
services:
  web:
    compose:
      inline:
        services:
          web:
            image: nginx:alpine
            # Reachable from this machine only; "8080:80" publishes on every interface.
            ports: ["127.0.0.1:8080:80"]
    # The agent asks this URL on the host: the deploy succeeds once it answers 200.
    healthChecks:
      - http:
          url: "http://127.0.0.1:8080/"
`;

/**
 * The starter aimed at what the team has: its only host by name when it has exactly one (an
 * agent enrolled by hand has no local=true label), else the local agent's label.
 */
export function starterWorkflowFor(hostNames: string[]): string {
  if (hostNames.length !== 1) return STARTER_WORKFLOW;
  const fields = readCommonFields(STARTER_WORKFLOW)!;
  return (
    applyCommonFields(STARTER_WORKFLOW, { ...fields, hosts: hostNames, selector: {} }) ?? STARTER_WORKFLOW
  );
}
