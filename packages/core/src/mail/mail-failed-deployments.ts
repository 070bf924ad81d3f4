import type { Db } from "../db";
import { type Mailer, mailLink } from "./mailer";

/**
 * Tells whoever started each failed deployment (a user, not an API token) that it failed. Called
 * with the deployments the webhook dispatcher saw finish, which each process sees exactly once.
 */
export async function mailFailedDeployments(
  db: Db,
  mailer: Mailer,
  deploymentIds: string[],
): Promise<number> {
  if (deploymentIds.length === 0) return 0;
  const deployments = await db.deployment.findMany({
    where: { id: { in: deploymentIds }, status: "FAILED", createdById: { not: null } },
    select: {
      id: true,
      createdById: true,
      error: true,
      team: { select: { slug: true, name: true } },
      workflow: { select: { name: true } },
    },
  });
  const users = new Map(
    (
      await db.user.findMany({
        where: { id: { in: deployments.map((d) => d.createdById!) } },
        select: { id: true, email: true },
      })
    ).map((u) => [u.id, u.email]),
  );
  let sent = 0;
  for (const deployment of deployments) {
    const to = users.get(deployment.createdById!);
    if (!to) continue;
    void mailer.send({
      to,
      subject: `Deployment of ${deployment.workflow.name} failed (${deployment.team.name})`,
      text: [
        `Your deployment of ${deployment.workflow.name} in ${deployment.team.name} failed.`,
        deployment.error ? `\nError: ${deployment.error.slice(0, 2000)}` : "",
        "",
        `Details: ${mailLink(mailer, `/t/${deployment.team.slug}/deployments/${deployment.id}`)}`,
      ].join("\n"),
    });
    sent++;
  }
  return sent;
}
