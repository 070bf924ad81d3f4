// Bundles on real PostgreSQL: a project folder is stored content-addressed and read back; every
// hostile tar (paths out, links out, hard links, devices, a zip bomb, too many entries) is refused
// with a message naming the path or limit, and nothing is stored.
import { createHash } from "node:crypto";
import { createTestDatabase, postgresAvailable, type TestDatabase } from "@capstan/db/testing";
import { BUNDLE_MAX_ENTRIES } from "@capstan/protocol/bundles";
import { requireComponents } from "@capstan/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeBundle, type TestEntry } from "../../test/bundles";
import { appError, createTestTeam } from "../../test/fixtures";
import { listBundleEntries, readBundleFile } from "./read-bundle-file";
import { storeBundle } from "./store-bundle";

const ok = requireComponents("core/bundles", await postgresAvailable());

const project: TestEntry[] = [
  { name: "./", type: "directory" },
  { name: "./compose.yaml", content: "services:\n  web:\n    image: capstan-busybox:test\n" },
  { name: "./nginx/nginx.conf", content: "events {}\n" },
  { name: "./bin/", type: "directory" },
  { name: "./bin/start", content: "#!/bin/sh\n", mode: 0o755 },
  { name: "./conf", type: "symlink", linkname: "nginx" },
  { name: "./nginx/up.conf", type: "symlink", linkname: "../nginx/nginx.conf" },
];

describe.skipIf(!ok)("bundles", () => {
  let db: TestDatabase;
  let teamId: string;
  let otherTeamId: string;

  beforeAll(async () => {
    db = await createTestDatabase();
    teamId = (await createTestTeam(db.prisma, "Bundles")).id;
    otherTeamId = (await createTestTeam(db.prisma, "Other")).id;
  });
  afterAll(async () => {
    await db?.drop();
  });

  it("stores a project content-addressed, once per team, and reads its files back", async () => {
    const data = await makeBundle(project);
    const stored = await storeBundle(db.prisma, { teamId, data });
    expect(stored.sha256).toBe(createHash("sha256").update(data).digest("hex"));
    expect(stored).toMatchObject({ size: data.byteLength, entries: 6 });
    expect(await storeBundle(db.prisma, { teamId, data })).toEqual(stored);
    const other = await storeBundle(db.prisma, { teamId: otherTeamId, data });
    expect(other.id).not.toBe(stored.id);
    const row = await db.prisma.bundle.findUniqueOrThrow({ where: { id: stored.id } });
    expect(Buffer.from(row.data).equals(data)).toBe(true);

    expect(readBundleFile(data, "compose.yaml")).toContain("capstan-busybox:test");
    expect(readBundleFile(data, "./nginx/nginx.conf")).toBe("events {}\n");
    expect(readBundleFile(data, "missing.yaml")).toBeNull();
    expect(readBundleFile(data, "nginx")).toBeNull();
    expect(listBundleEntries(data)).toEqual([
      "bin/",
      "bin/start",
      "compose.yaml",
      "conf",
      "nginx/",
      "nginx/nginx.conf",
      "nginx/up.conf",
    ]);
  });

  it("goes with its team, also while revisions and deployments name it", async () => {
    const team = await createTestTeam(db.prisma, "Doomed");
    const data = await makeBundle([{ name: "compose.yaml", content: "services: {}\n" }]);
    const bundle = await storeBundle(db.prisma, { teamId: team.id, data });
    const workflow = await db.prisma.workflow.create({ data: { teamId: team.id, name: "doomed" } });
    const revision = await db.prisma.revision.create({
      data: {
        workflowId: workflow.id,
        number: 1,
        source: "#",
        spec: {},
        contentHash: "x",
        bundleId: bundle.id,
      },
    });
    await db.prisma.deployment.create({
      data: {
        teamId: team.id,
        workflowId: workflow.id,
        revisionId: revision.id,
        bundleId: bundle.id,
        source: { kind: "upload", sha256: bundle.sha256 },
        deadlineAt: new Date(Date.now() + 60_000),
      },
    });
    await db.prisma.team.delete({ where: { id: team.id } });
    expect(await db.prisma.bundle.count({ where: { id: bundle.id } })).toBe(0);
  });

  const attacks: [string, TestEntry[], RegExp][] = [
    ["a ../ path", [{ name: "../evil.sh", content: "x" }], /"\.\.\/evil\.sh": paths must not contain '\.\.'/],
    ["a ../ path inside", [{ name: "a/../../evil", content: "x" }], /a\/\.\.\/\.\.\/evil.*'\.\.'/],
    ["an absolute path", [{ name: "/etc/cron.d/x", content: "x" }], /"\/etc\/cron\.d\/x": absolute paths/],
    ["a symlink to /etc", [{ name: "etc", type: "symlink", linkname: "/etc" }], /etc: symlink to "\/etc"/],
    [
      "a symlink out by ..",
      [{ name: "sub/up", type: "symlink", linkname: "../../x" }],
      /sub\/up: symlink to "\.\.\/\.\.\/x" leaves the bundle/,
    ],
    [
      "a file under a symlink",
      [
        { name: "l", type: "symlink", linkname: "." },
        { name: "l/x", content: "x" },
      ],
      /l\/x: lies under the symlink l/,
    ],
    [
      "a hard link",
      [
        { name: "a", content: "x" },
        { name: "b", type: "link", linkname: "a" },
      ],
      /b: hard links are not allowed/,
    ],
    [
      "a device",
      [{ name: "dev-null", type: "character-device" }],
      /dev-null: CharacterDevice entries are not allowed/,
    ],
    ["a setuid file", [{ name: "su", content: "x", mode: 0o4755 }], /su: setuid.*mode 4755/],
    [
      "the same path twice",
      [
        { name: "a", content: "x" },
        { name: "./a", content: "y" },
      ],
      /a: the path appears twice/,
    ],
  ];
  it.each(attacks)("refuses %s and stores nothing", async (_what, entries, message) => {
    const data = await makeBundle([{ name: "ok.txt", content: "fine" }, ...entries]);
    const error = await appError(storeBundle(db.prisma, { teamId, data }));
    expect(error.code).toBe("BAD_REQUEST");
    expect(error.message).toMatch(message);
    expect(await db.prisma.bundle.count({ where: { teamId, size: data.byteLength } })).toBe(0);
  });

  it("refuses a zip bomb past the unpacked limit, naming the limit", async () => {
    const data = await makeBundle([{ name: "big/zeros.bin", zeros: 257 * 1024 * 1024 }]);
    expect(data.byteLength).toBeLessThan(2 * 1024 * 1024);
    const error = await appError(storeBundle(db.prisma, { teamId, data }));
    expect(error.message).toMatch(
      /big\/zeros\.bin: the bundle unpacks to more than 256 MiB \(BUNDLE_MAX_UNPACKED_BYTES\)/,
    );
    expect(await db.prisma.bundle.count({ where: { size: data.byteLength } })).toBe(0);
  });

  it("refuses more entries than the limit, and what is not a tar.gz", async () => {
    const many = Array.from({ length: BUNDLE_MAX_ENTRIES + 1 }, (_, i) => ({ name: `f/${i}`, content: "" }));
    const data = await makeBundle(many);
    const error = await appError(storeBundle(db.prisma, { teamId, data }));
    expect(error.message).toMatch(/f\/20000: the bundle has more than 20000 entries \(BUNDLE_MAX_ENTRIES\)/);
    const garbage = await appError(storeBundle(db.prisma, { teamId, data: Buffer.from("not a bundle") }));
    expect(garbage.message).toMatch(/not gzip-compressed/);
    expect(await db.prisma.bundle.count({ where: { size: data.byteLength } })).toBe(0);
  });
});
