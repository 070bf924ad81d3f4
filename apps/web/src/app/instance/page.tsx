import { isInstanceAdmin } from "@capstan/core/instance/require-instance-admin";
import type { Metadata } from "next";
import Link from "next/link";
import { notFound, redirect } from "next/navigation";
import { Logo } from "@/components/logo";
import { getSessionUserId } from "@/server/auth";
import { prisma } from "@/server/db";
import { InstanceAdmin } from "./instance-admin";

export const metadata: Metadata = { title: "Instance" };

// Instance admins only; anyone else gets the same 404 as a page that does not exist.
export default async function InstancePage() {
  const userId = await getSessionUserId();
  if (!userId) redirect(`/signin?callbackUrl=${encodeURIComponent("/instance")}`);
  if (!(await isInstanceAdmin(prisma, userId))) notFound();
  return (
    <div className="min-h-screen">
      <header className="flex items-center justify-between bg-slate-900 px-6 py-4 text-white">
        <Logo />
        <Link href="/" className="text-sm text-slate-300 hover:text-white">
          Back to your teams
        </Link>
      </header>
      <main id="main" className="mx-auto max-w-6xl px-4 py-8 sm:px-8">
        <InstanceAdmin currentUserId={userId} />
      </main>
    </div>
  );
}
