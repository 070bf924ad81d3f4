// Deploying a revision that carries a bundle, on real PostgreSQL: the job payload names the
// bundle, a `compose.file` the bundle lacks fails the deploy before any job exists (naming the
// file and the bundle), and a pinned commit needs a Git source.
import type { Prisma } from "@capstan/db";
import { createTestDatabase, postgresAvailable, type TestDatabase } from "@capstan/db/testing";
import { workflowSpecSchema } from "@capstan/templates";
import { requireComponents } from "@capstan/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeBundle } from "../../test/bundles";
import { appError } from "../../test/fixtures";
import { storeBundle } from "../bundles/store-bundle";
import { readJobPayload } from "../columns/job-payload";
import { createTestHost, createTestTeam, deployTo, uniqueName } from "./test-fixtures";

const ok = requireComponents("core/deploy-bundle", await postgresAvailable());

describe.skipIf(!ok)("deploying a revision with a bundle", () => {
  let db: TestDatabase;
  let teamId: string;
  let hostId: string;

  beforeAll(async () => {
    db = await createTestDatabase();
    teamId = (await createTestTeam(db.prisma)).id;
    hostId = (await createTestHost(db.prisma, teamId)).id;
  });
  afterAll(async () => {
    await db?.drop();
  });

  async function revisionWith(file: string, entries: { name: string; content: string }[]) {
    const bundle = await storeBundle(db.prisma, { teamId, data: await makeBundle(entries) });
    const name = uniqueName("wf");
    const spec = workflowSpecSchema.parse({
      name,
      targets: { selector: { role: "web" } },
      services: { web: { compose: { file } } },
    });
    const workflow = await db.prisma.workflow.create({ data: { teamId, name } });
    const revision = await db.prisma.revision.create({
      data: {
        workflowId: workflow.id,
        number: 1,
        source: "# test",
        spec: spec as unknown as Prisma.InputJsonObject,
        contentHash: bundle.sha256,
        bundleId: bundle.id,
      },
    });
    return { revision, bundle };
  }

  it("puts the bundle in every job and records it on the deployment", async () => {
    const { revision, bundle } = await revisionWith("app/compose.yaml", [
      { name: "app/compose.yaml", content: "services:\n  web:\n    image: capstan-busybox:test\n" },
    ]);
    const { deployment, jobIds } = await deployTo(db.prisma, teamId, revision.id, [hostId]);
    expect(deployment).toMatchObject({
      bundleId: bundle.id,
      source: { kind: "upload", sha256: bundle.sha256 },
    });
    const job = await db.prisma.job.findUniqueOrThrow({ where: { id: jobIds[0]! } });
    expect(readJobPayload(job.payload).bundle).toEqual({ sha256: bundle.sha256, size: bundle.size });
  });

  it("fails before any job when a compose.file is missing from the bundle, naming both", async () => {
    const { revision, bundle } = await revisionWith("app/compose.yaml", [
      { name: "README.md", content: "hi" },
    ]);
    const error = await appError(deployTo(db.prisma, teamId, revision.id, [hostId]));
    expect(error.code).toBe("BAD_REQUEST");
    expect(error.message).toBe(
      `Service web: the Compose file \`app/compose.yaml\` is not in the uploaded bundle ${bundle.sha256.slice(0, 12)}. Add it to the project, or fix \`compose.file\`.`,
    );
    expect(await db.prisma.deployment.count({ where: { revisionId: revision.id } })).toBe(0);
  });

  it("refuses a pinned commit for a workflow without a Git source", async () => {
    const { revision } = await revisionWith("compose.yaml", [
      { name: "compose.yaml", content: "services:\n  web:\n    image: capstan-busybox:test\n" },
    ]);
    const error = await appError(
      (await import("./deploy")).deploy(db.prisma, {
        caller: null,
        teamId,
        revision: revision.id,
        hostIds: [hostId],
        allowHostsOutsideTargets: true,
        actor: { type: "SYSTEM" },
        commit: "a".repeat(40),
      }),
    );
    expect(error.message).toMatch(/only be deployed for a workflow with a Git `source`/);
  });
});
