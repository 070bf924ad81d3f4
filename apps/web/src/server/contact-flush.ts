// Wires the core's last-contact batcher to this process: failures go to the logger, and a stop
// signal writes what is queued (later touches write through until the process exits).
import "server-only";
import { flushAgentContacts, setContactBatcherLog } from "@capstan/core/agents/contact-batcher";
import { logger } from "@/server/logger";

export function flushContactsOnStop(): void {
  setContactBatcherLog((message) => logger.warn({ component: "agent-contact" }, message));
  for (const signal of ["SIGINT", "SIGTERM"] as const)
    process.once(signal, () => void flushAgentContacts({ final: true }));
}
