import type { Metadata } from "next";
import { PageHeader } from "@/components/ui";
import { templateCatalogue } from "@/server/templates";
import { TemplateBrowser } from "./template-browser";

export const metadata: Metadata = { title: "Templates" };

export default function TemplatesPage() {
  const templates = templateCatalogue().map(({ slug, title, description, tags, secrets, images }) => ({
    slug,
    title,
    description,
    tags,
    secrets: secrets.map((s) => s.name),
    images,
  }));
  return (
    <>
      <PageHeader
        title="Templates"
        description="Ready workflows for what people self-host first. Use one to open the editor with its capstan.yaml; after saving, fill in its secrets."
      />
      <TemplateBrowser templates={templates} />
    </>
  );
}
