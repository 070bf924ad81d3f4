/** How long a job may wait for its agent before it fails (on top of the services' deadlines). */
export const DEFAULT_QUEUE_TIMEOUT_SECONDS = 30 * 60;

/** The time one job gets from being queued to being over: its queue timeout plus its services' deadlines. */
export function jobBudgetMs(
  services: { spec: { deadline: number } }[],
  queueSeconds = DEFAULT_QUEUE_TIMEOUT_SECONDS,
): number {
  return (queueSeconds + services.reduce((sum, s) => sum + s.spec.deadline, 0)) * 1000;
}
