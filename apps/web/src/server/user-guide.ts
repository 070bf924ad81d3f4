// The user guide (docs/user/*.md in the repository), served at /docs and /docs/<page>.
// A page name is a path segment from the URL: it must match PAGE_NAME and name a file that is in
// the folder's listing, so `..`, slashes, encoded separators and dotfiles never reach the file
// system. Raw HTML in the markdown is escaped, never passed through, and only link targets on
// an allowlist become links.
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { Marked, type Tokens } from "marked";
import { headingSlug, stripInlineMarkdown } from "@/lib/heading-slug";

/** next build and next start run in apps/web; the guide is two folders up. */
export const GUIDE_DIR = join(process.cwd(), "..", "..", "docs", "user");

const PAGE_NAME = /^[a-z0-9]+(?:-[a-z0-9]+)*$/;
const IMAGE_NAME = /^[a-z0-9]+(?:-[a-z0-9]+)*\.png$/;

export interface GuidePage {
  name: string;
  title: string;
  html: string;
}

/** The guide's page names (file names without `.md`), sorted. */
export function listGuidePages(dir = GUIDE_DIR): string[] {
  return readdirSync(dir)
    .filter((file) => file.endsWith(".md"))
    .map((file) => file.slice(0, -3))
    .filter((name) => PAGE_NAME.test(name))
    .sort();
}

/** The page, rendered; null when the name is not a page of the guide. */
export function readGuidePage(name: string, dir = GUIDE_DIR): GuidePage | null {
  if (!PAGE_NAME.test(name) || !listGuidePages(dir).includes(name)) return null;
  const markdown = readFileSync(join(dir, `${name}.md`), "utf8");
  const title = /^#\s+(.+)$/m.exec(markdown)?.[1];
  return { name, title: title ? stripInlineMarkdown(title) : name, html: renderGuideMarkdown(markdown) };
}

/** A guide image's bytes; null unless the name matches IMAGE_NAME and the file is there. */
export function readGuideImage(name: string, dir = GUIDE_DIR): Buffer | null {
  if (!IMAGE_NAME.test(name)) return null;
  const images = join(dir, "images");
  try {
    if (!readdirSync(images).includes(name)) return null;
    return readFileSync(join(images, name));
  } catch {
    return null;
  }
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/**
 * Where a link in the guide goes when served: another guide page (`hosts.md#x` -> `/docs/hosts#x`),
 * a guide image, an anchor on the page or an http(s)/mailto address. Anything else (links into the
 * repository, `javascript:`) gets null and is rendered as plain text.
 */
export function guideHref(href: string): string | null {
  if (/^(https?:|mailto:)/i.test(href) || /^#[\w-]+$/.test(href)) return href;
  const page = /^(?:\.\/)?([a-z0-9]+(?:-[a-z0-9]+)*)\.md(#[\w-]+)?$/.exec(href);
  if (page) return `/docs/${page[1]}${page[2] ?? ""}`;
  const image = /^(?:\.\/)?images\/([^/]+)$/.exec(href);
  if (image && IMAGE_NAME.test(image[1] ?? "")) return `/docs/images/${image[1]}`;
  return null;
}

export function renderGuideMarkdown(markdown: string): string {
  const seen = new Map<string, number>();
  const marked = new Marked({ gfm: true, async: false });
  marked.use({
    renderer: {
      // No raw HTML: it is shown as text.
      html({ text }: Tokens.HTML | Tokens.Tag) {
        return escapeHtml(text);
      },
      heading({ tokens, depth, text }: Tokens.Heading) {
        // Anchors as GitHub makes them, so links work on GitHub and here alike.
        const base = headingSlug(text);
        const count = seen.get(base) ?? 0;
        seen.set(base, count + 1);
        const id = count === 0 ? base : `${base}-${count}`;
        return `<h${depth} id="${escapeHtml(id)}">${this.parser.parseInline(tokens)}</h${depth}>\n`;
      },
      link({ href, title, tokens }: Tokens.Link) {
        const inner = this.parser.parseInline(tokens);
        const target = guideHref(href);
        if (target === null) return inner;
        const titleAttr = title ? ` title="${escapeHtml(title)}"` : "";
        return `<a href="${escapeHtml(target)}"${titleAttr}>${inner}</a>`;
      },
      image({ href, text }: Tokens.Image) {
        const target = guideHref(href);
        if (target === null || !target.startsWith("/docs/images/")) return escapeHtml(text);
        return `<img src="${escapeHtml(target)}" alt="${escapeHtml(text)}" loading="lazy">`;
      },
    },
  });
  return marked.parse(markdown) as string;
}
