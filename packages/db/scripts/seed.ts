// `npm run db:seed [-- --reset-password]`: the demo team and owner on DATABASE_URL (migrated
// first with `npm run db:migrate`). CAPSTAN_DEMO_PASSWORD picks the password instead of a random one.
import { createPrismaClient } from "../src/client";
import { assertDatabaseUrl } from "../src/migrate";
import { DEMO_TEAM, seedDemo } from "../src/seed";

const url = process.env.DATABASE_URL;
try {
  assertDatabaseUrl(url);
  const prisma = createPrismaClient({ connectionString: url, poolMax: 1 });
  try {
    const result = await seedDemo(prisma, {
      password: process.env.CAPSTAN_DEMO_PASSWORD,
      resetPassword: process.argv.includes("--reset-password"),
    });
    console.log(`team "${DEMO_TEAM.name}" (${DEMO_TEAM.slug}), owner ${result.email}`);
    if (result.password !== null) console.log(`password: ${result.password}`);
    else console.log("password unchanged (run `npm run db:seed -- --reset-password` for a new one)");
  } finally {
    await prisma.$disconnect();
  }
} catch (error) {
  console.error((error as Error).message.split("\n").at(-1));
  process.exitCode = 1;
}
