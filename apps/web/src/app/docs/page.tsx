import type { Metadata } from "next";
import { notFound } from "next/navigation";
import { readGuidePage } from "@/server/user-guide";
import { GuideArticle } from "./guide-article";

export const metadata: Metadata = { title: "User guide" };

export default function GuideIndex() {
  const page = readGuidePage("index");
  if (!page) notFound();
  return <GuideArticle page={page} />;
}
