// GET /cli/capstan.mjs: the single-file `capstan` CLI (Node.js 20+), what GET /cli installs. Public,
// like the agent's install script: it holds no secret and is what CI runners download.
import { CLI_BUNDLE_MISSING, findCliBundle } from "@capstan/core/cli/find-cli-bundle";
import { fileStream } from "@capstan/core/downloads/hashed-file";
import { SHA256_HEADER } from "@capstan/protocol";
import { cliDistDir } from "../cli-dist";

export const runtime = "nodejs";
export const dynamic = "force-dynamic";

export async function GET() {
  const bundle = await findCliBundle(cliDistDir());
  if (!bundle)
    return new Response(`${CLI_BUNDLE_MISSING}\n`, {
      status: 503,
      headers: { "content-type": "text/plain; charset=utf-8", "cache-control": "no-store" },
    });
  return new Response(fileStream(bundle.path), {
    headers: {
      "content-type": "text/javascript; charset=utf-8",
      "content-length": String(bundle.size),
      "content-disposition": 'attachment; filename="capstan.mjs"',
      "cache-control": "no-cache",
      [SHA256_HEADER]: bundle.sha256,
    },
  });
}
