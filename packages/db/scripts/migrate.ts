// `npm run db:migrate`: applies prisma/migrations to DATABASE_URL, offline.
import { applyMigrations } from "../src/migrate";

try {
  const { applied } = await applyMigrations(process.env.DATABASE_URL ?? "");
  if (applied.length === 0) console.log("database is up to date");
  for (const name of applied) console.log(`applied ${name}`);
} catch (error) {
  console.error((error as Error).message);
  process.exitCode = 1;
}
