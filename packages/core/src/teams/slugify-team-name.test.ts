import { describe, expect, it } from "vitest";
import { normalizeEmail } from "../users/normalize-email";
import { slugifyTeamName, TEAM_SLUG } from "./slugify-team-name";

describe("slugifyTeamName", () => {
  it("turns names into URL-safe slugs that match the strict name pattern", () => {
    const cases = [
      "Acme Ops",
      "  Équipe Zürich  ",
      "ops/../../etc",
      "A".repeat(100),
      "a---b",
      "Team #1 (prod)",
    ];
    const slugs = cases.map(slugifyTeamName);
    expect(slugs).toEqual(["acme-ops", "equipe-zurich", "ops-etc", "a".repeat(48), "a-b", "team-1-prod"]);
    for (const slug of slugs) expect(slug).toMatch(TEAM_SLUG);
  });

  it("refuses names without a letter or digit", () => {
    expect(() => slugifyTeamName("!!!")).toThrow(expect.objectContaining({ code: "BAD_REQUEST" }));
  });
});

describe("normalizeEmail", () => {
  it("lower-cases and trims, and refuses what is not an address", () => {
    expect(normalizeEmail("  Ada@Example.COM ")).toBe("ada@example.com");
    for (const bad of ["", "ada", "ada@", "@example.com", "a b@example.com"]) {
      expect(() => normalizeEmail(bad)).toThrow(expect.objectContaining({ code: "BAD_REQUEST" }));
    }
  });
});
