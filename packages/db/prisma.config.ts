import { defineConfig } from "prisma/config";

// Used by the Prisma CLI only (generate, and migrate where the native engine is available).
// The application and `npm run db:migrate` never read this file.
export default defineConfig({
  schema: "prisma/schema.prisma",
  migrations: { path: "prisma/migrations" },
  datasource: { url: process.env.DATABASE_URL ?? "postgresql://localhost/capstan" },
});
