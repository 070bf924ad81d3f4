import { agentHandlers } from "@/server/agent/handlers";

export const runtime = "nodejs";
export const dynamic = "force-dynamic";

export const POST = agentHandlers.renewLease;
