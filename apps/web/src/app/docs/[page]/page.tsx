import type { Metadata } from "next";
import { notFound } from "next/navigation";
import { listGuidePages, readGuidePage } from "@/server/user-guide";
import { GuideArticle } from "../guide-article";

// Pages are read from docs/user when the app is built; any other name is a 404.
export const dynamicParams = false;

export function generateStaticParams() {
  return listGuidePages()
    .filter((name) => name !== "index")
    .map((page) => ({ page }));
}

export async function generateMetadata({ params }: { params: Promise<{ page: string }> }): Promise<Metadata> {
  const page = readGuidePage((await params).page);
  return { title: page ? page.title : "Not found" };
}

export default async function GuidePageView({ params }: { params: Promise<{ page: string }> }) {
  const page = readGuidePage((await params).page);
  if (!page) notFound();
  return <GuideArticle page={page} />;
}
