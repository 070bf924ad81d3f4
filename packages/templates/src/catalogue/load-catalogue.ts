// The template catalogue: ready workflows kept as data in the repository
// (templates/catalogue/<slug>/capstan.yaml + template.yaml). Adding a folder adds a template; each
// one is checked here with the real workflow validator against the default (strictest) host
// policy, plus the catalogue's own review rules, so a template that loads is one a fresh host
// accepts as it is.
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { parse } from "yaml";
import { z } from "zod";
import { DEFAULT_HOST_POLICY } from "../workflow/host-policy";
import { isComposeService, type WorkflowSpec } from "../workflow/spec";
import { validateWorkflow } from "../workflow/validate-workflow";
import { formatWorkflowIssue } from "../workflow/workflow-issue";

export const TEMPLATE_SLUG_PATTERN = /^[a-z0-9][a-z0-9-]{0,62}$/;
const WORKFLOW_FILE = "capstan.yaml";
const META_FILE = "template.yaml";

const metaSchema = z.strictObject({
  title: z.string().min(1).max(80),
  description: z.string().min(1).max(400),
  tags: z
    .array(z.string().regex(/^[a-z0-9][a-z0-9-]{0,31}$/, "tags are lower-case words joined by -"))
    .min(1)
    .max(12),
  /** Every secret the workflow declares, with what the user should put in it. */
  secrets: z.record(z.string(), z.string().min(1).max(300)).default({}),
});

export interface CatalogueTemplate {
  slug: string;
  title: string;
  description: string;
  tags: string[];
  secrets: { name: string; purpose: string }[];
  /** The capstan.yaml text, comments included: what the editor is prefilled with. */
  source: string;
  /** Images the template's Compose documents run (build-only services have none). */
  images: string[];
}

export interface CatalogueProblem {
  slug: string;
  messages: string[];
}

export interface Catalogue {
  templates: CatalogueTemplate[];
  problems: CatalogueProblem[];
}

/** Reads every template folder of `dir`; a folder that fails a check is reported, not loaded. */
export function loadCatalogue(dir: string): Catalogue {
  const templates: CatalogueTemplate[] = [];
  const problems: CatalogueProblem[] = [];
  const slugs = readdirSync(dir)
    .filter((entry) => statSync(join(dir, entry)).isDirectory())
    .sort();
  for (const slug of slugs) {
    const loaded = loadTemplate(join(dir, slug), slug);
    if ("messages" in loaded) problems.push(loaded);
    else templates.push(loaded);
  }
  return { templates, problems };
}

function readText(path: string): string | undefined {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return undefined;
  }
}

export function loadTemplate(folder: string, slug: string): CatalogueTemplate | CatalogueProblem {
  const fail = (...messages: string[]): CatalogueProblem => ({ slug, messages });
  if (!TEMPLATE_SLUG_PATTERN.test(slug))
    return fail(`folder name must be lower-case letters, digits and - (${TEMPLATE_SLUG_PATTERN})`);
  const source = readText(join(folder, WORKFLOW_FILE));
  const metaText = readText(join(folder, META_FILE));
  if (source === undefined) return fail(`${WORKFLOW_FILE} is missing`);
  if (metaText === undefined) return fail(`${META_FILE} is missing (title, description, tags, secrets)`);

  let metaValue: unknown;
  try {
    metaValue = parse(metaText);
  } catch (error) {
    return fail(`${META_FILE}: ${(error as Error).message}`);
  }
  const meta = metaSchema.safeParse(metaValue);
  if (!meta.success)
    return fail(
      ...meta.error.issues.map((i) => `${META_FILE}: ${i.path.join(".") || "(document)"}: ${i.message}`),
    );

  const result = validateWorkflow(source, { policy: DEFAULT_HOST_POLICY });
  if (!result.ok) return fail(...result.issues.map((i) => `${WORKFLOW_FILE}: ${formatWorkflowIssue(i)}`));

  const messages = reviewRules(result.spec, meta.data.secrets);
  if (messages.length > 0) return fail(...messages);
  return {
    slug,
    title: meta.data.title,
    description: meta.data.description,
    tags: meta.data.tags,
    secrets: result.spec.secrets.map((name) => ({ name, purpose: meta.data.secrets[name]! })),
    source,
    images: composeImages(result.spec),
  };
}

/** What a reviewed template has beyond being valid: documented secrets, health checks, pinned images. */
function reviewRules(spec: WorkflowSpec, described: Record<string, string>): string[] {
  const messages: string[] = [];
  for (const name of spec.secrets)
    if (!(name in described))
      messages.push(`${META_FILE}: secrets.${name}: say what the user should put in this secret`);
  for (const name of Object.keys(described))
    if (!spec.secrets.includes(name))
      messages.push(`${META_FILE}: secrets.${name}: the workflow does not declare this secret`);
  for (const [name, service] of Object.entries(spec.services))
    if (service.healthChecks.length === 0)
      messages.push(`${WORKFLOW_FILE}: services.${name}: needs at least one health check (healthChecks)`);
  for (const image of composeImages(spec)) if (!isPinned(image)) messages.push(unpinned(image));
  return messages;
}

function unpinned(image: string): string {
  return `${WORKFLOW_FILE}: image \`${image}\` must name a version tag (not \`latest\`), so a deploy is repeatable`;
}

/** A tag other than `latest`, or a digest. The tag follows the last `/` (a registry port has a `:` too). */
function isPinned(image: string): boolean {
  if (image.includes("@sha256:")) return true;
  const last = image.slice(image.lastIndexOf("/") + 1);
  const colon = last.indexOf(":");
  return colon > 0 && last.slice(colon + 1) !== "latest";
}

function composeImages(spec: WorkflowSpec): string[] {
  const images = new Set<string>();
  for (const service of Object.values(spec.services)) {
    if (!isComposeService(service) || !service.compose.inline) continue;
    const doc = service.compose.inline as { services?: Record<string, { image?: unknown; build?: unknown }> };
    for (const container of Object.values(doc.services ?? {}))
      if (typeof container.image === "string" && container.build === undefined) images.add(container.image);
  }
  return [...images].sort();
}
