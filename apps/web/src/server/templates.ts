// The template catalogue (templates/catalogue in the repository), read once per process: the
// folder is part of the release, so it only changes with a new deploy of the control plane.
import "server-only";
import { join } from "node:path";
import {
  type Catalogue,
  type CatalogueTemplate,
  loadCatalogue,
  TEMPLATE_SLUG_PATTERN,
} from "@capstan/templates/catalogue/load-catalogue";
import { env } from "@/env";
import { logger } from "./logger";

let cached: Catalogue | undefined;

function catalogueDir(): string {
  // `next start` runs in apps/web, like the agent's dist folder (server/agent/engine.ts).
  return env.CAPSTAN_TEMPLATES_DIR ?? join(process.cwd(), "..", "..", "templates", "catalogue");
}

export function templateCatalogue(): CatalogueTemplate[] {
  if (!cached) {
    const dir = catalogueDir();
    try {
      cached = loadCatalogue(dir);
    } catch (error) {
      logger.warn({ dir, err: (error as Error).message }, "template catalogue unreadable");
      cached = { templates: [], problems: [] };
    }
    for (const problem of cached.problems)
      logger.warn(
        { template: problem.slug, problems: problem.messages },
        "template skipped: it does not validate",
      );
  }
  return cached.templates;
}

/** A template by slug; anything that is not a plain slug finds nothing (no path is built from it). */
export function findTemplate(slug: string | undefined): CatalogueTemplate | undefined {
  if (!slug || !TEMPLATE_SLUG_PATTERN.test(slug)) return undefined;
  return templateCatalogue().find((t) => t.slug === slug);
}
