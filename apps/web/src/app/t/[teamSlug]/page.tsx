import type { Metadata } from "next";
import { Overview } from "./overview";
import { teamNameForTitle } from "./team-for-request";

export async function generateMetadata({
  params,
}: {
  params: Promise<{ teamSlug: string }>;
}): Promise<Metadata> {
  const name = await teamNameForTitle((await params).teamSlug);
  return { title: name ? { absolute: `Overview · ${name} · Capstan` } : "Overview" };
}

export default function OverviewPage() {
  return <Overview />;
}
