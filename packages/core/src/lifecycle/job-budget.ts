/** How long a job may wait for its agent before it fails (on top of the services' deadlines). */
export const DEFAULT_QUEUE_TIMEOUT_SECONDS = 30 * 60;

/** The time one job gets from being queued to being over: its queue timeout plus its services' deadlines. */
export function jobBudgetMs(
  services: { spec: { deadline: number; release?: { timeout: number } } }[],
  queueSeconds = DEFAULT_QUEUE_TIMEOUT_SECONDS,
): number {
  // A release command's timeout comes on top of its service's deadline (the agent does the same).
  const steps = services.reduce((sum, s) => sum + s.spec.deadline + (s.spec.release?.timeout ?? 0), 0);
  return (queueSeconds + steps) * 1000;
}
