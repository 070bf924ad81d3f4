// The Domains rows: each state gets its colour and words, a failed issuance shows the CA's answer
// and the next try, and that answer (text from the network) is rendered as text, never markup.
import type { CertificateView } from "@capstan/core/hosts/list-certificates";
import { renderToStaticMarkup } from "react-dom/server";
import { describe, expect, it } from "vitest";
import { DomainRows } from "./domains-panel";

const base = {
  host: { id: "h1", name: "web-1" },
  workflow: "shop",
  service: "web",
  reportedAt: null,
  dns: { state: "unknown" as const, resolved: [], detail: "cannot tell: the host reports no public address" },
};

describe("DomainRows", () => {
  it("shows each state in its colour, the DNS hint, and escapes the CA's answer", () => {
    const rows: CertificateView[] = [
      {
        ...base,
        name: "a.capstan.test",
        status: "valid",
        issuer: "Pebble",
        notAfter: "2030-01-01T00:00:00.000Z",
      },
      { ...base, name: "b.capstan.test", status: "expiring", notAfter: "2026-12-10T00:00:00.000Z" },
      {
        ...base,
        name: "c.capstan.test",
        status: "failed",
        lastError: "<img src=x onerror=alert(1)> rate limited",
        retryAt: "2030-01-01T00:00:00.000Z",
      },
      { ...base, name: "d.capstan.test", status: "pending" },
    ];
    const html = renderToStaticMarkup(<DomainRows certificates={rows} teamSlug="main" showHost />).replace(
      /<!-- -->/g,
      "",
    );
    expect(html).not.toContain("<img");
    expect(html).toContain("Last attempt failed: &lt;img src=x onerror=alert(1)&gt; rate limited");
    expect(html).toContain("next try");
    for (const [word, colour] of [
      ["valid", "emerald"],
      ["expiring soon", "amber"],
      ["failed", "red"],
      ["pending", "slate"],
    ])
      expect(html).toMatch(new RegExp(`bg-${colour}-[0-9]+[^"]*">${word}</span>`));
    expect(html).toContain("DNS: cannot tell");
    expect(html).toContain("cannot tell: the host reports no public address");
    expect(html).toContain('href="/t/main/hosts/h1"');
  });
});
