export * from "./client";
export * from "./generated/prisma/client";
