import type { Metadata } from "next";
import { HostsIcon } from "@/components/dashboard/icons";
import { EmptyState, PageHeader } from "@/components/ui";

export const metadata: Metadata = { title: "Hosts" };

export default function HostsPage() {
  return (
    <>
      <PageHeader title="Hosts" description="Servers with an enrolled Capstan agent." />
      <EmptyState icon={<HostsIcon />} title="No hosts yet">
        <p>
          Enrol your first server: an admin creates a one-time enrollment token and runs the install command
          it shows on the server. The agent dials out over HTTPS, so hosts behind NAT or a firewall work too.
        </p>
      </EmptyState>
    </>
  );
}
