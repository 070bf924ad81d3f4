// GET /install.sh: the agent install script, rendered by packages/templates with this control
// plane's public URL and the sha256 of the agent executable and JS bundle it serves. Optional query values
// (token, name, labels) are checked by the renderer's strict patterns; a bad one answers 400.
// Served by the lean agent server and by the Next route app/install.sh/route.ts.
import "server-only";
import { getAgentBinary } from "@capstan/core/agents/get-agent-binary";
import { renderInstallScript } from "@capstan/templates/agent/render-install-script";
import { env } from "@/env";
import { agentDistDir } from "./engine";

async function sha256For(arch: "x64" | "arm64", format?: "bundle"): Promise<string | undefined> {
  try {
    const binary = await getAgentBinary({ dir: agentDistDir(), arch, format });
    await binary.body.cancel();
    return binary.sha256;
  } catch {
    return undefined;
  }
}

export async function installScriptResponse(request: Request): Promise<Response> {
  const url = new URL(request.url);
  const publicUrl = env.CAPSTAN_PUBLIC_URL ?? url.origin;
  const [x64, arm64, bundle] = await Promise.all([
    sha256For("x64"),
    sha256For("arm64"),
    sha256For("x64", "bundle"),
  ]);
  const query = (key: string) => url.searchParams.get(key) ?? undefined;
  let script: string;
  try {
    script = renderInstallScript({
      url: publicUrl,
      sha256: { ...(x64 ? { x64 } : {}), ...(arm64 ? { arm64 } : {}) },
      bundleSha256: bundle,
      enrollmentToken: query("token"),
      hostName: query("name"),
      labels: query("labels"),
    });
  } catch (error) {
    // The renderer's messages name the field, never the value.
    return new Response(`echo 'capstan: ${(error as Error).message.replace(/'/g, "")}' >&2; exit 1\n`, {
      status: 400,
      headers: { "content-type": "text/x-shellscript; charset=utf-8", "cache-control": "no-store" },
    });
  }
  return new Response(script, {
    headers: {
      "content-type": "text/x-shellscript; charset=utf-8",
      // A token may be part of the URL; nothing in between should keep a copy.
      "cache-control": "no-store",
    },
  });
}
