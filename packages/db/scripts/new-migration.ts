// `npm run db:migration:new -- add_x`: writes prisma/migrations/<timestamp>_add_x/migration.sql
// with the SQL that takes the existing migrations to the current schema.prisma. The migrations
// are replayed in a temporary shadow database on TEST_DATABASE_URL / DATABASE_URL's server.
import { createNewMigration } from "../src/new-migration";

const DEFAULT_SERVER = "postgresql://capstan:capstan@127.0.0.1:5432/capstan";

try {
  const name = process.argv[2];
  if (!name || process.argv.length > 3) {
    throw new Error("Usage: npm run db:migration:new -- <name>   (for example add_host_region)");
  }
  const server = process.env.TEST_DATABASE_URL ?? process.env.DATABASE_URL ?? DEFAULT_SERVER;
  const created = await createNewMigration({ name, shadowServerUrl: server });
  console.log(`created ${created.path}`);
  console.log("Review it, then apply it with `npm run db:migrate` and commit the folder.");
} catch (error) {
  console.error((error as Error).message);
  process.exitCode = 1;
}
