import { getTwoFactorStatus } from "@capstan/core/two-factor/get-two-factor-status";
import type { Metadata } from "next";
import { redirect } from "next/navigation";
import { connection } from "next/server";
import { AuthCard } from "@/components/auth-card";
import { getSessionUserId } from "@/server/auth";
import { prisma } from "@/server/db";
import { TwoFactorSettings } from "./two-factor-settings";

export const metadata: Metadata = { title: "Two-factor authentication" };

const SLUG = /^[a-z0-9][a-z0-9-]{0,62}$/;

export default async function TwoFactorPage({
  searchParams,
}: {
  searchParams: Promise<Record<string, string | string[] | undefined>>;
}) {
  await connection();
  const userId = await getSessionUserId();
  if (!userId) redirect(`/signin?callbackUrl=${encodeURIComponent("/account/two-factor")}`);
  const status = await getTwoFactorStatus(prisma, userId);
  // Where "Continue" leads after enrolling: the team that sent the user here, if it is theirs.
  const team = (await searchParams).team;
  const back = typeof team === "string" && SLUG.test(team) ? `/t/${team}` : "/";
  return (
    <AuthCard
      title="Two-factor authentication"
      subtitle="A code from an authenticator app, after your password."
    >
      <TwoFactorSettings
        enabled={status.enabled}
        recoveryCodesLeft={status.recoveryCodesLeft}
        requiredBy={status.requiredBy.map((t) => t.name)}
        back={back}
      />
    </AuthCard>
  );
}
