import type { Metadata } from "next";
import Link from "next/link";
import { redirect } from "next/navigation";
import { connection } from "next/server";
import { Logo } from "@/components/logo";
import { getSessionUserId } from "@/server/auth";
import { prisma } from "@/server/db";
import { ChangePassword } from "./change-password";
import { SessionList } from "./session-list";

export const metadata: Metadata = { title: "Your account" };

// The signed-in user's own account: sessions and password. Team-free, so it lives outside /t/.
export default async function AccountPage() {
  await connection();
  const userId = await getSessionUserId();
  if (!userId) redirect("/signin?callbackUrl=%2Faccount");
  const user = await prisma.user.findUnique({ where: { id: userId }, select: { email: true, name: true } });
  if (!user) redirect("/signin?callbackUrl=%2Faccount");
  return (
    <div className="min-h-screen bg-slate-50">
      <header className="bg-slate-900 px-4 py-3 text-white sm:px-8">
        <div className="mx-auto flex max-w-3xl items-center justify-between">
          <Link href="/" aria-label="Capstan home">
            <Logo />
          </Link>
          <Link href="/" className="text-sm text-slate-300 hover:text-white">
            Back to the dashboard
          </Link>
        </div>
      </header>
      <main id="main" className="mx-auto max-w-3xl space-y-10 px-4 py-8 sm:px-8">
        <div>
          <h1 className="text-2xl font-semibold text-slate-900">Your account</h1>
          <p className="mt-1 text-sm text-slate-600">
            Signed in as <strong>{user.name ? `${user.name} (${user.email})` : user.email}</strong>.
          </p>
        </div>
        <SessionList />
        <ChangePassword />
      </main>
    </div>
  );
}
