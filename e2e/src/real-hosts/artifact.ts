// The systemd workflow's artifact: a tarball with a small Node HTTP server that answers with its
// GREETING variable. The control plane has no upload page or endpoint yet, so it is stored the
// way an upload would store it (an Artifact row of the team) and served by
// /api/agent/v1/artifacts/<name>, which the agent checks against the workflow's sha256.
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";

// /secret-sha256 answers a hash of the CANARY_SECRET it was started with, so the secret canary
// test compares what the service sees without the value ever crossing a log or a response.
const SERVER_JS = `const http = require("node:http");
const { createHash } = require("node:crypto");
const port = Number(process.env.PORT);
http
  .createServer((req, res) => {
    if (req.url === "/secret-sha256") {
      const value = process.env.CANARY_SECRET;
      return res.end(value === undefined ? "unset" : createHash("sha256").update(value).digest("hex"));
    }
    res.end(String(process.env.GREETING));
  })
  .listen(port, "127.0.0.1", () => console.log("hello-api listening on " + port));
`;

export interface UploadedArtifact {
  name: string;
  sha256: string;
}

export async function uploadServerArtifact(databaseUrl: string, teamId: string, name: string) {
  const dir = mkdtempSync(join(tmpdir(), "capstan-e2e-artifact-"));
  try {
    writeFileSync(join(dir, "server.js"), SERVER_JS);
    const tarball = join(dir, "hello-api.tar.gz");
    execFileSync("tar", ["-czf", tarball, "-C", dir, "server.js"]);
    const data = readFileSync(tarball);
    const sha256 = createHash("sha256").update(data).digest("hex");
    const client = new pg.Client({ connectionString: databaseUrl });
    await client.connect();
    try {
      await client.query(
        `INSERT INTO "Artifact" ("teamId", name, sha256, size, data) VALUES ($1, $2, $3, $4, $5)`,
        [teamId, name, sha256, data.length, data],
      );
    } finally {
      await client.end();
    }
    return { name, sha256 } satisfies UploadedArtifact;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
