// Validates a workflow (capstan.yaml text, or an object from the dashboard editor) into the
// normalised spec a revision stores: schema, names, dependsOn, secret references, Compose
// documents (interpolated, then the official schema + Capstan's structure and host-policy checks
// on the result), and resolves Compose
// file references so the spec carries every document inline. Pure: no database or network, so
// the offline CLI runs exactly this.

import { prepareComposeDocument, secretPlaceholders } from "../compose/prepare-compose-document";
import { checkDomains } from "./check-domains";
import { checkPortEnv } from "./check-port-env";
import { checkReleaseCommands } from "./check-release-commands";
import { checkWorkflowSystemdPolicy } from "./check-systemd-policy";
import { checkTasks } from "./check-tasks";
import { computeContentHash } from "./compute-content-hash";
import type { HostPolicy } from "./host-policy";
import { workflowJsonSchema } from "./json-schema";
import { orderServices } from "./order-services";
import { type ParsedYaml, parseWorkflowYaml } from "./parse-workflow-yaml";
import { keysAt } from "./schema-keys";
import {
  isComposeService,
  isSystemdService,
  type ServiceSpec,
  type WorkflowSpec,
  workflowSpecSchema,
} from "./spec";
import { teamReferencePlaceholders, teamReferenceProblem } from "./team-references";
import type { IssuePath, WorkflowIssue } from "./workflow-issue";
import { zodIssuesToWorkflowIssues } from "./zod-issues";

/** Environment names Capstan itself sets or uses in rendered files. */
const RESERVED_ENV_PREFIX = "CAPSTAN_";

export interface ValidateWorkflowOptions {
  /** Reads a file next to the workflow (Compose `file:`); undefined when it does not exist. */
  readFile?: (relativePath: string) => string | undefined;
  /**
   * The revision carries project files (a bundle): `compose.file` stays a path into them instead
   * of being inlined (also implied by a top-level `source`). With `readFile` (reading the bundle)
   * the file must exist and parse; its Compose checks run at deploy time against the bundle.
   */
  keepComposeFiles?: boolean;
  /** When given, Compose documents are also checked against this host policy. */
  policy?: HostPolicy;
  maxBytes?: number;
}

export interface OrderedService {
  name: string;
  spec: ServiceSpec;
}

export type ValidateWorkflowResult =
  | { ok: true; spec: WorkflowSpec; contentHash: string; services: OrderedService[]; issues: [] }
  | { ok: false; issues: WorkflowIssue[] };

let jsonSchema: ReturnType<typeof workflowJsonSchema> | undefined;
/** The keys a workflow accepts at a path (built once: only bad documents ask). */
function workflowKeysAt(path: IssuePath): Iterable<string> {
  jsonSchema ??= workflowJsonSchema();
  return keysAt(jsonSchema, path).keys();
}

/** Validates capstan.yaml text. Issues carry lines. */
export function validateWorkflow(
  source: string,
  options: ValidateWorkflowOptions = {},
): ValidateWorkflowResult {
  const parsed = parseWorkflowYaml(source, options);
  if (!parsed.ok) return parsed;
  return validateWorkflowSpec(
    withComposeAsYaml11(parsed.parsed.value, source, options),
    options,
    parsed.parsed,
  );
}

/** Inline Compose documents are read as YAML 1.1, like Compose itself reads them. */
function withComposeAsYaml11(value: unknown, source: string, options: ValidateWorkflowOptions): unknown {
  const services = (value as { services?: unknown } | null)?.services;
  if (!services || typeof services !== "object") return value;
  const yaml11 = parseWorkflowYaml(source, { ...options, version: "1.1" });
  if (!yaml11.ok) return value;
  const services11 = (yaml11.parsed.value as { services?: Record<string, unknown> }).services ?? {};
  for (const [name, service] of Object.entries(services as Record<string, unknown>)) {
    const compose = (service as { compose?: { inline?: unknown } } | null)?.compose;
    const inline11 = (services11[name] as { compose?: { inline?: unknown } } | undefined)?.compose?.inline;
    if (compose && typeof compose === "object" && "inline" in compose && inline11 !== undefined)
      compose.inline = inline11;
  }
  return value;
}

/** Validates an already-parsed workflow object (dashboard editor, stored revision). */
export function validateWorkflowSpec(
  value: unknown,
  options: ValidateWorkflowOptions = {},
  yaml?: ParsedYaml,
): ValidateWorkflowResult {
  const withLines = (issues: WorkflowIssue[], locator = yaml) =>
    issues.map((issue) => {
      if (issue.line !== undefined || !locator) return issue;
      const pos = locator.locate(issue.path, { key: issue.atKey });
      return pos ? { ...issue, line: pos.line, column: pos.column } : issue;
    });

  const result = workflowSpecSchema.safeParse(value);
  if (!result.success)
    return {
      ok: false,
      issues: withLines(zodIssuesToWorkflowIssues(result.error.issues, [], workflowKeysAt)),
    };
  const spec = result.data;

  const issues: WorkflowIssue[] = [];
  const declared = new Set(spec.secrets);
  spec.secrets.forEach((name, index) => {
    if (name.startsWith(RESERVED_ENV_PREFIX))
      issues.push({
        path: ["secrets", index],
        message: `names starting with ${RESERVED_ENV_PREFIX} are reserved`,
      });
  });
  const credentials = spec.source?.git.credentials;
  if (credentials !== undefined && !declared.has(credentials))
    issues.push({
      path: ["source", "git", "credentials"],
      message: `secret \`${credentials}\` is not declared in the top-level \`secrets\` list`,
    });
  for (const [name, service] of Object.entries(spec.services)) {
    service.secrets.forEach((secret, index) => {
      if (!declared.has(secret))
        issues.push({
          path: ["services", name, "secrets", index],
          message: `secret \`${secret}\` is not declared in the top-level \`secrets\` list`,
        });
    });
    for (const [key, value] of Object.entries(service.env)) {
      const reference = teamReferenceProblem(value);
      if (reference) issues.push({ path: ["services", name, "env", key], message: reference });
      if (key.startsWith(RESERVED_ENV_PREFIX))
        issues.push({
          path: ["services", name, "env", key],
          message: `names starting with ${RESERVED_ENV_PREFIX} are reserved`,
        });
      else if (service.secrets.includes(key))
        issues.push({
          path: ["services", name, "env", key],
          message: `\`${key}\` is also a secret of this service; set it in one place`,
        });
    }
  }
  for (const [name, service] of Object.entries(spec.services)) {
    if (!isSystemdService(service) || service.systemd.artifact) continue;
    // Without an artifact there is no release folder, so `current/...` would not exist.
    if (service.systemd.exec[0]?.startsWith("current/"))
      issues.push({
        path: ["services", name, "systemd", "exec", 0],
        message: "a path inside `current/` needs an `artifact`; use an absolute path otherwise",
      });
    const wd = service.systemd.workingDirectory;
    if (wd !== undefined && !wd.startsWith("/"))
      issues.push({
        path: ["services", name, "systemd", "workingDirectory"],
        message: "a relative working directory needs an `artifact`; use an absolute path otherwise",
      });
  }
  const { order, issues: orderIssues } = orderServices(spec.services);
  issues.push(...orderIssues);

  const fileIssues: WorkflowIssue[] = [];
  const keepFiles = options.keepComposeFiles === true || spec.source !== undefined;
  for (const [name, service] of Object.entries(spec.services)) {
    if (!isComposeService(service)) continue;
    const at: IssuePath = ["services", name, "compose"];
    if (service.compose.file !== undefined && keepFiles) {
      // A git source is fetched at deploy time; there is nothing to read yet.
      if (!options.readFile) continue;
      const file = service.compose.file;
      const text = options.readFile(file);
      if (text === undefined) {
        issues.push({ path: [...at, "file"], message: `\`${file}\` is not in the project files` });
        continue;
      }
      const parsed = parseWorkflowYaml(text, { ...options, version: "1.1" });
      if (!parsed.ok)
        fileIssues.push(
          ...parsed.issues.map((i) => ({ ...i, path: [...at, "file"], file, filePath: i.path })),
        );
    } else if (service.compose.file !== undefined) {
      const file = service.compose.file;
      const text = options.readFile?.(file);
      if (text === undefined) {
        issues.push({
          path: [...at, "file"],
          message: options.readFile
            ? `cannot read \`${file}\` next to the workflow`
            : "Compose files must be inline here (no file access); paste the document under `inline`",
        });
        continue;
      }
      const parsed = parseWorkflowYaml(text, { ...options, version: "1.1" });
      if (!parsed.ok) {
        fileIssues.push(
          ...parsed.issues.map((i) => ({ ...i, path: [...at, "file"], file, filePath: i.path })),
        );
        continue;
      }
      const docIssues = checkCompose(parsed.parsed.value, service, options.policy);
      fileIssues.push(
        ...withLines(docIssues, parsed.parsed).map((i) => ({
          ...i,
          path: [...at, "file"],
          file,
          filePath: i.path,
        })),
      );
      service.compose = { inline: parsed.parsed.value as Record<string, unknown> };
    } else {
      const docIssues = checkCompose(service.compose.inline, service, options.policy);
      issues.push(...docIssues.map((i) => ({ ...i, path: [...at, "inline", ...i.path] })));
    }
  }

  // The host's rules for units (users, capabilities, hardening floor, dependencies, nix builds).
  if (options.policy) issues.push(...checkWorkflowSystemdPolicy(spec, options.policy));
  issues.push(...checkReleaseCommands(spec), ...checkTasks(spec), ...checkDomains(spec));
  issues.push(...checkPortEnv(spec));
  const all = [...withLines(issues), ...fileIssues];
  if (all.length > 0) return { ok: false, issues: all };
  return {
    ok: true,
    spec,
    contentHash: computeContentHash(spec),
    services: order.map((name) => ({ name, spec: spec.services[name]! })),
    issues: [],
  };
}

/**
 * The document as it will run: interpolated with the service's env and its secrets' and team
 * variables' names as stand-ins (their values are unknown here; the agent checks again with them), then checked.
 */
function checkCompose(doc: unknown, service: ServiceSpec, policy: HostPolicy | undefined): WorkflowIssue[] {
  const variables = { ...teamReferencePlaceholders(service.env), ...secretPlaceholders(service.secrets) };
  const prepared = prepareComposeDocument({ document: doc, variables, policy });
  return prepared.ok ? [] : prepared.issues;
}
