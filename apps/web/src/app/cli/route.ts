// GET /cli: the CLI install script (`curl -fsSL <url>/cli | sh`), rendered by packages/templates
// with this control plane's public URL and the sha256 of the capstan.mjs it serves.
import { CLI_BUNDLE_MISSING, findCliBundle } from "@capstan/core/cli/find-cli-bundle";
import { renderCliInstallScript } from "@capstan/templates/cli/render-cli-install-script";
import { env } from "@/env";
import { cliDistDir } from "./cli-dist";

export const runtime = "nodejs";
export const dynamic = "force-dynamic";

// The script names the bundle's hash, which changes with every build: never serve a stale copy.
const headers = { "content-type": "text/x-shellscript; charset=utf-8", "cache-control": "no-store" };

/**
 * A script that only explains and exits 1. Answered with 200 on purpose: `curl -fsSL ... | sh`
 * discards the body of an error status and sh then exits 0 on empty input, so the user would see
 * neither the reason nor a failure.
 */
const failing = (message: string) =>
  new Response(`#!/bin/sh\necho 'capstan: error: ${message.replace(/'/g, "")}' >&2\nexit 1\n`, { headers });

export async function GET(request: Request) {
  const bundle = await findCliBundle(cliDistDir());
  if (!bundle) return failing(CLI_BUNDLE_MISSING);
  try {
    const url = env.CAPSTAN_PUBLIC_URL ?? new URL(request.url).origin;
    return new Response(renderCliInstallScript({ url, sha256: bundle.sha256 }), { headers });
  } catch (error) {
    // The renderer's messages name the field, never the value.
    return failing((error as Error).message);
  }
}
