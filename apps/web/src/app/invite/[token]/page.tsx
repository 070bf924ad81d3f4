import { isAppError } from "@capstan/core/errors";
import { getInvitation } from "@capstan/core/members/get-invitation";
import type { Metadata } from "next";
import { AuthCard } from "@/components/auth-card";
import { RoleBadge } from "@/components/ui";
import { getSessionUserId } from "@/server/auth";
import { prisma } from "@/server/db";
import { AcceptInvitation } from "./accept-invitation";

export const metadata: Metadata = { title: "Invitation" };

export default async function InvitePage({ params }: { params: Promise<{ token: string }> }) {
  const { token } = await params;
  let invitation: Awaited<ReturnType<typeof getInvitation>>;
  try {
    invitation = await getInvitation(prisma, token);
  } catch (error) {
    if (!isAppError(error)) throw error;
    return (
      <AuthCard title="Invitation not usable">
        <p role="alert" className="text-sm text-slate-700">
          {error.code === "NOT_FOUND"
            ? "This invitation link is not valid. Check that you copied all of it."
            : error.message}
        </p>
      </AuthCard>
    );
  }
  const userId = await getSessionUserId();
  const user = userId
    ? await prisma.user.findUnique({ where: { id: userId }, select: { email: true } })
    : null;
  return (
    <AuthCard
      title={`Join ${invitation.teamName}`}
      subtitle={
        <span className="inline-flex items-center gap-2">
          You are invited as <RoleBadge role={invitation.role} />
        </span>
      }
    >
      <AcceptInvitation token={token} invitedEmail={invitation.email} signedInEmail={user?.email ?? null} />
    </AuthCard>
  );
}
