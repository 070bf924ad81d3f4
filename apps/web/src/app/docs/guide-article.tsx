import type { GuidePage } from "@/server/user-guide";

/** A rendered guide page. The HTML comes from renderGuideMarkdown, which escapes raw HTML. */
export function GuideArticle({ page }: { page: GuidePage }) {
  return (
    <article
      className="guide"
      data-guide-page={page.name}
      // biome-ignore lint/security/noDangerouslySetInnerHtml: markdown rendered with raw HTML escaped and links allowlisted (server/user-guide.ts)
      dangerouslySetInnerHTML={{ __html: page.html }}
    />
  );
}
