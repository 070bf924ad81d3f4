import { badRequest, conflict } from "../errors";

/** Team slugs appear in URLs (/t/<slug>/...), so they follow the strict name pattern. */
export const TEAM_SLUG = /^[a-z0-9][a-z0-9-]{0,62}$/;

export function slugifyTeamName(name: string): string {
  const slug = name
    .normalize("NFKD")
    .replace(/[\u0300-\u036f]/g, "")
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-+|-+$/g, "")
    .slice(0, 48)
    .replace(/-+$/g, "");
  if (!TEAM_SLUG.test(slug)) throw badRequest("Use a team name with at least one letter or digit.");
  return slug;
}

export function checkTeamName(name: string): string {
  const trimmed = name.trim();
  if (trimmed.length < 1 || trimmed.length > 80) throw badRequest("Use a team name of 1 to 80 characters.");
  return trimmed;
}

/** Prisma's unique-constraint error: the slug was taken between our check and the insert. */
export const isUniqueViolation = (error: unknown) => (error as { code?: string } | null)?.code === "P2002";

export const slugTaken = (slug: string) =>
  conflict(`The team address "${slug}" is taken. Choose another name or address.`);
