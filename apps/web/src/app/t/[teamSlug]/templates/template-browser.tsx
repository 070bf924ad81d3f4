"use client";
// The catalogue as cards, filtered as you type by title, description, tag or image.
import Link from "next/link";
import { useState } from "react";
import { useCurrentTeam } from "@/components/dashboard/team-context";
import { Badge, Card, EmptyState } from "@/components/ui";

export interface TemplateCard {
  slug: string;
  title: string;
  description: string;
  tags: string[];
  secrets: string[];
  images: string[];
}

function matches(template: TemplateCard, words: string[]): boolean {
  const text = [template.title, template.description, template.slug, ...template.tags, ...template.images]
    .join(" ")
    .toLowerCase();
  return words.every((word) => text.includes(word));
}

export function TemplateBrowser({ templates }: { templates: TemplateCard[] }) {
  const team = useCurrentTeam();
  const canEdit = team.role === "OWNER" || team.role === "ADMIN";
  const [search, setSearch] = useState("");
  const words = search.toLowerCase().split(/\s+/).filter(Boolean);
  const shown = templates.filter((t) => matches(t, words));

  return (
    <>
      <div className="mb-4 max-w-sm">
        <label htmlFor="template-search" className="sr-only">
          Search templates
        </label>
        <input
          id="template-search"
          type="search"
          placeholder="Search by name or tag (database, git, …)"
          value={search}
          onChange={(e) => setSearch(e.target.value)}
          className="block w-full rounded-md border border-slate-300 px-3 py-2 text-sm shadow-sm focus:border-sky-500 focus:outline-none focus:ring-2 focus:ring-sky-500/30"
        />
      </div>
      {shown.length === 0 ? (
        <EmptyState title="No matching templates">
          Nothing matches “{search.trim()}”. Templates are folders in templates/catalogue of the Capstan
          repository; adding one is described in the user guide (Templates).
        </EmptyState>
      ) : (
        <ul className="grid gap-4 sm:grid-cols-2 xl:grid-cols-3" aria-label="Templates">
          {shown.map((t) => (
            <li key={t.slug}>
              <Card className="flex h-full flex-col gap-3 p-4">
                <div>
                  <h2 className="text-base font-semibold text-slate-900">{t.title}</h2>
                  <p className="mt-1 text-sm text-slate-600">{t.description}</p>
                </div>
                <div className="flex flex-wrap gap-1">
                  {t.tags.map((tag) => (
                    <Badge key={tag}>{tag}</Badge>
                  ))}
                </div>
                <dl className="space-y-1 text-xs text-slate-500">
                  {t.images.length > 0 ? (
                    <div>
                      <dt className="inline">Images: </dt>
                      <dd className="inline break-all font-mono">{t.images.join(", ")}</dd>
                    </div>
                  ) : null}
                  <div>
                    <dt className="inline">Secrets to fill: </dt>
                    <dd className="inline font-mono">
                      {t.secrets.length > 0 ? t.secrets.join(", ") : "none"}
                    </dd>
                  </div>
                </dl>
                {canEdit ? (
                  <Link
                    href={`/t/${team.slug}/workflows/new?template=${t.slug}`}
                    aria-label={`Use the ${t.title} template`}
                    className="mt-auto inline-flex w-fit items-center rounded-md bg-sky-600 px-3 py-1.5 text-sm font-medium text-white shadow-sm hover:bg-sky-500"
                  >
                    Use this template
                  </Link>
                ) : null}
              </Card>
            </li>
          ))}
        </ul>
      )}
    </>
  );
}
