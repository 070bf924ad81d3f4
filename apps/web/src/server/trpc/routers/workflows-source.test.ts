// workflows.testSource through the real router and RBAC middleware on real PostgreSQL, against a
// real Git server on loopback with a private repository: the credentials secret is read from the
// workflow (another team's workflow acts as missing), and the token never comes back.
import { randomBytes } from "node:crypto";
import { ROLES } from "@capstan/core/rbac/roles";
import { parseKeyring } from "@capstan/core/secrets/keyring";
import type { Role } from "@capstan/db";
import { createTestDatabase, type TestDatabase } from "@capstan/db/testing";
import { executable, type GitHttpServer, requireComponents, startGitHttpServer } from "@capstan/testkit";
import { TRPCError } from "@trpc/server";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  createTestMember,
  createTestTeam,
  postgresComponent,
} from "../../../../../../packages/core/test/fixtures";
import { trpcCode } from "../../../../test/trpc-code";
import { createCaller } from "../root";

const ok = requireComponents(
  "web/trpc workflows.testSource",
  await postgresComponent(),
  executable("/usr/lib/git-core/git-http-backend"),
);
const keyring = parseKeyring(`k1:${randomBytes(32).toString("base64")}`);
const TOKEN = "glpat-TestSourceToken-0123456789";

const yaml = (name: string, url: string) => `name: ${name}
targets: { selector: { role: web } }
secrets: [GIT_TOKEN]
source:
  git: { url: "${url}", ref: main, credentials: GIT_TOKEN }
services:
  web:
    compose: { inline: { services: { web: { image: "capstan-busybox:test" } } } }
`;

describe.skipIf(!ok)("workflows.testSource", () => {
  let db: TestDatabase;
  let server: GitHttpServer;
  let url: string;
  let teamId: string;
  let workflowId: string;
  let otherWorkflowId: string;
  const users = {} as Record<Role, string>;
  const as = (userId: string, outboundAllowPrivate = true) =>
    createCaller({ prisma: db.prisma, userId, keyring, outboundAllowPrivate });

  beforeAll(async () => {
    server = await startGitHttpServer({ token: TOKEN });
    const repo = server.createRepository("app");
    repo.commit({ "compose.yaml": "services: {}\n" });
    repo.commit({ "x.txt": "x\n" }, { branch: "staging" });
    url = repo.url;
    db = await createTestDatabase();
    teamId = (await createTestTeam(db.prisma, "Main")).id;
    for (const role of ROLES) users[role] = (await createTestMember(db.prisma, teamId, role)).user.id;
    const admin = as(users.ADMIN);
    workflowId = (await admin.workflows.create({ teamId, source: yaml("shop", url) })).id;
    await admin.secrets.set({ teamId, workflowId, name: "GIT_TOKEN", value: TOKEN });
    const otherTeamId = (await createTestTeam(db.prisma, "Other")).id;
    const otherOwner = (await createTestMember(db.prisma, otherTeamId, "OWNER")).user.id;
    otherWorkflowId = (
      await as(otherOwner).workflows.create({ teamId: otherTeamId, source: yaml("theirs", url) })
    ).id;
    await as(otherOwner).secrets.set({
      teamId: otherTeamId,
      workflowId: otherWorkflowId,
      name: "GIT_TOKEN",
      value: TOKEN,
    });
  });
  afterAll(async () => {
    await db?.drop();
    await server?.close();
  });

  it("lists the branches with the workflow's credentials secret, for ADMIN and OWNER only", async () => {
    for (const role of ROLES) {
      const call = as(users[role]).workflows.testSource({
        teamId,
        workflowId,
        url,
        credentials: "GIT_TOKEN",
      });
      if (role === "ADMIN" || role === "OWNER") expect(await call).toEqual({ branches: ["main", "staging"] });
      else expect(await trpcCode(call)).toBe("FORBIDDEN");
    }
  });

  it("says clearly when the repository refuses access, without the token", async () => {
    const error = await as(users.ADMIN)
      .workflows.testSource({ teamId, workflowId, url })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TRPCError);
    expect((error as TRPCError).code).toBe("BAD_REQUEST");
    expect((error as TRPCError).message).toMatch(/refused access.*source\.git\.credentials/);
    expect(JSON.stringify(error)).not.toContain(TOKEN);
  });

  it("cannot borrow another team's secret, needs a saved workflow, and refuses loopback by default", async () => {
    const admin = as(users.ADMIN);
    expect(
      await trpcCode(
        admin.workflows.testSource({ teamId, workflowId: otherWorkflowId, url, credentials: "GIT_TOKEN" }),
      ),
    ).toBe("NOT_FOUND");
    await expect(admin.workflows.testSource({ teamId, url, credentials: "GIT_TOKEN" })).rejects.toThrow(
      /Save the workflow and set its secret GIT_TOKEN first/,
    );
    await expect(
      as(users.ADMIN, false).workflows.testSource({ teamId, workflowId, url, credentials: "GIT_TOKEN" }),
    ).rejects.toThrow(/loopback address/);
    await expect(admin.workflows.testSource({ teamId, url: "ext::sh -c id" })).rejects.toThrow(/whitespace/);
  });
});
