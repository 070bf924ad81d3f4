// Test-only: a team whose one host is in its `production` environment, with named members (one
// narrowed to DEPLOYER there), their API tokens, a revision aimed at production, and the public
// API's route handlers on loopback over a fresh database: the setup the approval and deploy-window
// tests share. Not imported by application code.
import { createApiToken } from "@capstan/core/api-tokens/create-api-token";
import {
  createTestHost,
  createTestRevision,
  type TestHost,
  uniqueName,
} from "@capstan/core/deployments/test-fixtures";
import { type SaveEnvironmentInput, saveEnvironment } from "@capstan/core/environments/save-environment";
import { setEnvironmentRole } from "@capstan/core/environments/set-environment-role";
import type { Prisma, Role } from "@capstan/db";
import { createTestDatabase, type TestDatabase } from "@capstan/db/testing";
import { TRPCError } from "@trpc/server";
import { createTestMember, createTestTeam } from "../../../packages/core/test/fixtures";
import { createCaller } from "../src/server/trpc/root";
import { type LoopbackServer, serveOnLoopback } from "./test-routes";

type Protection = Omit<SaveEnvironmentInput, "environmentId" | "name" | "selector">;

export interface ProductionTeam<Member extends string, Token extends string> {
  db: TestDatabase;
  server: LoopbackServer;
  teamId: string;
  host: TestHost;
  productionId: string;
  revisionId: string;
  /** User ids; `owner` is the team's OWNER. */
  users: Record<Member | "owner", string>;
  tokens: Record<Token, string>;
  trpc(who: Member | "owner"): ReturnType<typeof createCaller>;
  /** POST to the public API with that token (a JSON body, `{}` by default). */
  post(token: Token, path: string, body?: object): Promise<Response>;
  close(): Promise<void>;
}

export async function startProductionTeam<Member extends string, Token extends string>(options: {
  team: string;
  workflowPrefix: string;
  members: Record<Member, Role>;
  /** Members whose role on production is narrowed to DEPLOYER. */
  narrowed: NoInfer<Member>[];
  tokens: Record<Token, { member: NoInfer<Member>; name: string; role: Role }>;
  production?: Protection;
}): Promise<ProductionTeam<Member, Token>> {
  const db = await createTestDatabase();
  process.env.DATABASE_URL = db.url;
  // Imported only now: the app's env module reads its variables when first loaded.
  const server = await serveOnLoopback(await (await import("./api-dispatch")).loadPublicApiRoutes());
  const teamId = (await createTestTeam(db.prisma, options.team)).id;
  const owner = await createTestMember(db.prisma, teamId, "OWNER");
  const users = { owner: owner.user.id } as Record<Member | "owner", string>;
  const members = {} as Record<Member, Awaited<ReturnType<typeof createTestMember>>>;
  for (const [name, role] of Object.entries(options.members) as [Member, Role][]) {
    members[name] = await createTestMember(db.prisma, teamId, role, name);
    users[name] = members[name].user.id;
  }
  const tokens = {} as Record<Token, string>;
  for (const [key, { member, name, role }] of Object.entries(options.tokens) as [
    Token,
    { member: Member; name: string; role: Role },
  ][])
    tokens[key] = (await createApiToken(db.prisma, members[member].actor, { name, role })).token;

  const host = await createTestHost(db.prisma, teamId);
  await db.prisma.host.update({ where: { id: host.id }, data: { labels: { env: "production" } } });
  const productionId = (
    await saveEnvironment(db.prisma, owner.actor, {
      name: "production",
      selector: "env=production",
      ...options.production,
    })
  ).id;
  for (const name of options.narrowed)
    await setEnvironmentRole(db.prisma, owner.actor, {
      environmentId: productionId,
      membershipId: members[name].membership.id,
      role: "DEPLOYER",
    });
  const revision = await createTestRevision(db.prisma, teamId, {
    workflow: uniqueName(options.workflowPrefix),
  });
  const spec = { ...(revision.spec as Prisma.JsonObject), targets: { selector: { env: "production" } } };
  await db.prisma.revision.update({ where: { id: revision.id }, data: { spec } });

  return {
    db,
    server,
    teamId,
    host,
    productionId,
    revisionId: revision.id,
    users,
    tokens,
    trpc: (who) => createCaller({ prisma: db.prisma, userId: users[who] }),
    post: (token, path, body = {}) =>
      fetch(`${server.url}${path}`, {
        method: "POST",
        headers: { authorization: `Bearer ${tokens[token]}`, "content-type": "application/json" },
        body: JSON.stringify(body),
      }),
    async close() {
      await server.close();
      await db.drop();
    },
  };
}

/** "CODE: message" of the tRPC error the call is refused with; fails if it is not refused. */
export async function refusal(call: Promise<unknown>): Promise<string> {
  try {
    await call;
  } catch (error) {
    if (error instanceof TRPCError) return `${error.code}: ${error.message}`;
    throw error;
  }
  throw new Error("expected a refusal");
}
