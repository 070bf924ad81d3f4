// The unmanaged list renders whatever it is given as text: even a name that slipped past the
// protocol's allowlist (an old row, a hand edit) never becomes markup.
import { renderToStaticMarkup } from "react-dom/server";
import { describe, expect, it } from "vitest";
import { UnmanagedList } from "./unmanaged-list";

describe("UnmanagedList", () => {
  it("escapes names, images and states, and says when the list is cut short", () => {
    const html = renderToStaticMarkup(
      <UnmanagedList
        unmanaged={{
          containers: [
            { name: "<img src=x onerror=alert(1)>", state: "running", image: "<script>x</script>" },
          ],
          units: [{ name: "evil<b>.service", state: "running" }],
          truncated: true,
        }}
      />,
    );
    expect(html).not.toMatch(/<img|<script|<b>/);
    expect(html).toContain("&lt;img src=x onerror=alert(1)&gt;");
    expect(html.replace(/<!-- -->/g, "")).toContain("Not managed by Capstan (2+)");
  });

  it("renders nothing when the agent has not reported yet", () => {
    expect(renderToStaticMarkup(<UnmanagedList unmanaged={null} />)).toBe("");
  });
});
