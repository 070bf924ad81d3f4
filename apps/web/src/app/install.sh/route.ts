import { installScriptResponse } from "@/server/agent/install-script";

export const runtime = "nodejs";
export const dynamic = "force-dynamic";

export const GET = installScriptResponse;
