// The overview's "Get started" checklist as data: each step's state from the team's counts and
// the link that does it. Pure, so the rules are tested without a browser.
import type { FirstDeployProgress } from "@capstan/core/overview/get-first-deploy-progress";

export interface ChecklistStep {
  title: string;
  description: string;
  href: string;
  done: boolean;
}

/** The steps, or null once a deployment has succeeded: then the checklist has done its job. */
export function getStartedSteps(progress: FirstDeployProgress, teamSlug: string): ChecklistStep[] | null {
  if (progress.succeeded) return null;
  const base = `/t/${teamSlug}`;
  return [
    {
      title: "Add a host",
      description:
        'npm start enrols this machine as the host "local" by itself; a server gets the agent with one command.',
      href: `${base}/hosts`,
      done: progress.hosts > 0,
    },
    {
      title: "Write a workflow",
      description: "Start from the example: nginx on your host, gated on an HTTP health check.",
      href: `${base}/workflows/new`,
      done: progress.workflows > 0,
    },
    {
      title: "Deploy it",
      description: "Every deploy is an immutable revision, gated on health and easy to roll back.",
      href: `${base}/deployments`,
      done: progress.deployments > 0,
    },
    {
      title: "See it healthy",
      description: "The deployment's page shows its services' health and links to where they listen.",
      href: progress.latestDeploymentId
        ? `${base}/deployments/${progress.latestDeploymentId}`
        : `${base}/deployments`,
      done: false,
    },
  ];
}
