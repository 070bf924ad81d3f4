import type { Metadata } from "next";
import { env } from "@/env";
import { HostsView } from "./hosts-view";

export const metadata: Metadata = { title: "Hosts" };

export default function HostsPage() {
  // Without CAPSTAN_PUBLIC_URL the install command uses the address the browser is on.
  return <HostsView publicUrl={env.CAPSTAN_PUBLIC_URL ?? null} />;
}
