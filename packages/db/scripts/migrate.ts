// `npm run db:migrate`: applies prisma/migrations to DATABASE_URL, offline.
// `npm run db:migrate -- --rolled-back <name>`: after a migration failed, mark it rolled back
// (fix its SQL first), like `prisma migrate resolve --rolled-back`.
import { parseArgs } from "node:util";
import { applyMigrations, markMigrationRolledBack } from "../src/migrate";

try {
  const { values } = parseArgs({ options: { "rolled-back": { type: "string" } } });
  const url = process.env.DATABASE_URL ?? "";
  if (values["rolled-back"]) {
    await markMigrationRolledBack(url, values["rolled-back"]);
    console.log(`marked ${values["rolled-back"]} as rolled back; run \`npm run db:migrate\` again`);
  } else {
    const { applied } = await applyMigrations(url);
    if (applied.length === 0) console.log("database is up to date");
    for (const name of applied) console.log(`applied ${name}`);
  }
} catch (error) {
  console.error((error as Error).message);
  process.exitCode = 1;
}
