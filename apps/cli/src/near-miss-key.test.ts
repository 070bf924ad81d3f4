// `capstan validate` on a workflow with near-miss keys names the keys that were meant, through the
// real bin shim (a separate node process, as a person or a CI runner calls it).
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, describe, expect, it } from "vitest";

const dir = mkdtempSync(join(tmpdir(), "capstan-cli-near-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const source = `name: shop
targets: { hosts: [web-1] }
services:
  web:
    compose:
      inline:
        services:
          app:
            image: capstan-busybox:test
    healthcheck:
      - tcp: { port: 8080 }
    dependson: []
    unrelated: 1
`;

describe("capstan validate with near-miss keys", () => {
  it("suggests the workflow and Compose keys that were meant, and guesses nothing for others", async () => {
    const file = join(dir, "capstan.yaml");
    writeFileSync(file, source);
    const bin = join(import.meta.dirname, "../bin/capstan.js");
    const failed = await promisify(execFile)(process.execPath, [bin, "validate", file]).catch(
      (error: { code: number; stderr: string }) => error,
    );
    expect("code" in failed && failed.code).toBe(1);
    const stderr = (failed as { stderr: string }).stderr;
    expect(stderr).toContain("services.web.healthcheck: unknown key; did you mean `healthChecks`? (line 10)");
    expect(stderr).toContain("services.web.dependson: unknown key; did you mean `dependsOn`? (line 12)");
    expect(stderr).toMatch(/services\.web\.unrelated: unknown key \(line 13\)/);
    expect(stderr).not.toMatch(/unrelated: unknown key; did you mean/);

    // The workflow right, its Compose document with a near miss and a v2-only key.
    const compose = source
      .replace(/\n {4}healthcheck:[\s\S]*$/, "\n")
      .replace(
        "image: capstan-busybox:test",
        "image: capstan-busybox:test\n            healthChecks: {}\n            develop: {}",
      );
    writeFileSync(file, compose);
    const again = await promisify(execFile)(process.execPath, [bin, "validate", file]).catch(
      (error: { code: number; stderr: string }) => error,
    );
    const composeErrors = (again as { stderr: string }).stderr;
    expect(composeErrors).toContain(
      "services.web.compose.inline.services.app.healthChecks: is not a Compose key (unknown key); did you mean `healthcheck`? (line 10)",
    );
    expect(composeErrors).toMatch(
      /services\.app\.develop: is a Compose v2-only key \(docker-compose 1\.29 does not know it\)/,
    );
  }, 60_000); // two cold starts of node + tsx; slow on a loaded 2-core machine
});
