import { readGuideImage } from "@/server/user-guide";

export const runtime = "nodejs";

// Screenshots the guide shows (docs/user/images, written by the Playwright suite).
export async function GET(_request: Request, { params }: { params: Promise<{ name: string }> }) {
  const image = readGuideImage((await params).name);
  if (!image) return new Response("Not found", { status: 404 });
  return new Response(new Uint8Array(image), {
    headers: { "Content-Type": "image/png", "Cache-Control": "public, max-age=300" },
  });
}
