// Uploading a project folder from the workflow page against `next start`: real Chromium packs a
// folder chosen through the directory picker, the control plane stores the bundle and saves a new
// revision of the folder's capstan.yaml naming it. The stored bundle (read back from the database)
// holds the project files and none of what .gitignore, .capstanignore or `.git/` leave out.
import { randomBytes } from "node:crypto";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";
import { workflowSpecSchema } from "@capstan/templates";
import { expect, test } from "@playwright/test";
import pg from "pg";
import { seedOwnerAndTeam, signInToTeam } from "../src/seed";

test.skip(!!process.env.CAPSTAN_E2E_SKIP, process.env.CAPSTAN_E2E_SKIP ?? "");
test.describe.configure({ mode: "serial" });

const suffix = randomBytes(3).toString("hex");
const OWNER = { email: `upload-owner-${suffix}@example.test`, password: "upload-folder-long-passphrase" };
const TEAM = { name: "Upload Team", slug: `upload-${suffix}` };
const WORKFLOW = `shop-${suffix}`;
let workflowId = "";
let folder = "";

async function sql<T = Record<string, unknown>>(text: string, values: unknown[] = []): Promise<T[]> {
  const db = new pg.Client({ connectionString: process.env.CAPSTAN_E2E_DATABASE_URL });
  await db.connect();
  try {
    return (await db.query(text, values)).rows as T[];
  } finally {
    await db.end();
  }
}

/** The paths in a tar.gz (ustar headers: prefix + name), read without the app's code. */
function tarPaths(data: Buffer): string[] {
  const tar = gunzipSync(data);
  const field = (block: Buffer, start: number, length: number) =>
    block
      .subarray(start, start + length)
      .toString("utf8")
      .replace(/\0.*$/s, "");
  const paths: string[] = [];
  for (let offset = 0; offset + 512 <= tar.length; ) {
    const block = tar.subarray(offset, offset + 512);
    if (block.every((byte) => byte === 0)) break;
    const prefix = field(block, 345, 155);
    paths.push(prefix ? `${prefix}/${field(block, 0, 100)}` : field(block, 0, 100));
    const size = Number.parseInt(field(block, 124, 12), 8);
    offset += 512 + Math.ceil(size / 512) * 512;
  }
  return paths;
}

function write(path: string, content: string) {
  mkdirSync(join(folder, path, ".."), { recursive: true });
  writeFileSync(join(folder, path), content);
}

test.beforeAll(async () => {
  const { teamId } = await seedOwnerAndTeam({ ...OWNER, name: "Upload Owner" }, TEAM);
  const spec = workflowSpecSchema.parse({
    name: WORKFLOW,
    targets: { selector: { role: "web" } },
    services: { app: { compose: { inline: { services: { app: { image: "capstan-busybox:test" } } } } } },
  });
  const [workflow] = await sql<{ id: string }>(
    `INSERT INTO "Workflow" ("teamId", name, "updatedAt") VALUES ($1, $2, now()) RETURNING id`,
    [teamId, WORKFLOW],
  );
  workflowId = workflow!.id;
  await sql(
    `INSERT INTO "Revision" ("workflowId", number, source, spec, "contentHash") VALUES ($1, 1, '# e2e', $2, $3)`,
    [workflowId, JSON.stringify(spec), randomBytes(16).toString("hex")],
  );

  folder = mkdtempSync(join(tmpdir(), `capstan-upload-${suffix}-`));
  write(
    "capstan.yaml",
    `name: ${WORKFLOW}\ntargets:\n  selector: { role: web }\nservices:\n  app:\n    compose: { file: compose.yaml }\n`,
  );
  write(
    "compose.yaml",
    "services:\n  app:\n    image: capstan-busybox:test\n    command: [sleep, '3600']\n    env_file: app.env\n",
  );
  write("app.env", "GREETING=hello\n");
  write("conf/app.conf", "listen 8080\n");
  write(".gitignore", "*.secret\ncache/\n");
  write(".capstanignore", "notes.md\n");
  write("local.secret", "TOKEN=do-not-upload\n");
  write("cache/blob.bin", "cached");
  write("notes.md", "# private notes\n");
  write(".git/config", "[core]\n");
});

test.afterAll(() => {
  if (folder) rmSync(folder, { recursive: true, force: true });
});

test("upload a project folder: a new revision carries its files, not the ignored ones", async ({ page }) => {
  await signInToTeam(page, OWNER, TEAM.slug);
  await page.goto(`/t/${TEAM.slug}/workflows/${workflowId}`);
  const source = page.getByRole("region", { name: "Source" });
  await source.getByLabel("Upload project folder").setInputFiles(folder);
  await expect(source.getByText("Uploaded: saved as revision 2.")).toBeVisible({ timeout: 30_000 });

  const [revision] = await sql<{ number: number; source: string; data: Buffer }>(
    `SELECT r.number, r.source, b.data FROM "Revision" r JOIN "Bundle" b ON b.id = r."bundleId"
     WHERE r."workflowId" = $1 ORDER BY r.number DESC LIMIT 1`,
    [workflowId],
  );
  expect(revision?.number).toBe(2);
  expect(revision?.source).toContain("compose: { file: compose.yaml }");
  expect(tarPaths(revision!.data).sort()).toEqual([
    ".capstanignore",
    ".gitignore",
    "app.env",
    "capstan.yaml",
    "compose.yaml",
    "conf/",
    "conf/app.conf",
  ]);
});

test("a folder without capstan.yaml is refused before anything is uploaded", async ({ page }) => {
  rmSync(join(folder, "capstan.yaml"));
  const before = await sql<{ count: string }>(`SELECT count(*) FROM "Bundle"`);
  await signInToTeam(page, OWNER, TEAM.slug);
  await page.goto(`/t/${TEAM.slug}/workflows/${workflowId}`);
  const source = page.getByRole("region", { name: "Source" });
  await source.getByLabel("Upload project folder").setInputFiles(folder);
  await expect(source.getByText(/no capstan\.yaml at its root/)).toBeVisible();
  expect(await sql<{ count: string }>(`SELECT count(*) FROM "Bundle"`)).toEqual(before);
});
