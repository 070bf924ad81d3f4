// Every relative link in docs/ and README.md points at a file that exists (and, into a markdown
// file, at a heading it has), so moving or renaming a page cannot leave a link behind.
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { headingSlugs } from "@/lib/heading-slug";

const ROOT = resolve(import.meta.dirname, "../../../..");

function markdownFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((entry) => {
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) return markdownFiles(path);
    return entry.endsWith(".md") ? [path] : [];
  });
}

/** Link and image targets outside fenced code blocks and inline code. */
function linkTargets(markdown: string): string[] {
  const prose = markdown.replace(/^(```|~~~)[\s\S]*?^\1/gm, "").replace(/`[^`\n]*`/g, "");
  return [...prose.matchAll(/!?\[[^\]]*\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g)].map((m) => m[1] ?? "");
}

const files = [join(ROOT, "README.md"), ...markdownFiles(join(ROOT, "docs"))];

describe("links in docs/ and README.md", () => {
  it("finds the documents and their links", () => {
    expect(files.length).toBeGreaterThan(20);
    expect(files.flatMap((f) => linkTargets(readFileSync(f, "utf8"))).length).toBeGreaterThan(50);
  });

  it.each(files.map((f) => [relative(ROOT, f), f]))("%s: every relative link resolves", (_name, file) => {
    const broken: string[] = [];
    const own = readFileSync(file, "utf8");
    for (const target of linkTargets(own)) {
      if (/^[a-z][a-z0-9+.-]*:/i.test(target) || target.startsWith("//")) continue;
      const [path = "", anchor] = target.split("#");
      const resolved = path ? resolve(dirname(file), decodeURIComponent(path)) : file;
      if (!existsSync(resolved)) {
        broken.push(`${target}: no file ${relative(ROOT, resolved)}`);
        continue;
      }
      if (anchor && resolved.endsWith(".md") && !headingSlugs(readFileSync(resolved, "utf8")).has(anchor))
        broken.push(`${target}: ${relative(ROOT, resolved)} has no heading #${anchor}`);
    }
    expect(broken).toEqual([]);
  });
});
