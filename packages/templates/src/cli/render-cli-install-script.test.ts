import { chmodSync, existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { executable, requireComponents } from "@capstan/testkit";
import { afterAll, describe, expect, it } from "vitest";
import { removeTempDirs, run, tempDir } from "../../test/tools";
import { renderCliInstallScript } from "./render-cli-install-script";

const SHA = "c".repeat(64);
const base = { url: "https://capstan.example.com/", sha256: SHA };

afterAll(removeTempDirs);

describe("renderCliInstallScript", () => {
  it("renders the URL and sha256 as single-quoted constants", () => {
    const script = renderCliInstallScript(base);
    expect(script).toContain("CAPSTAN_URL='https://capstan.example.com'\n");
    expect(script).toContain(`SHA256='${SHA}'\n`);
    expect(script).toContain('"$CAPSTAN_URL/cli/capstan.mjs"');
  });

  it("refuses a URL or hash that could reach the shell", () => {
    for (const url of [
      "https://x.example/$(touch /tmp/x)",
      "https://x.example/`id`",
      "https://x/'",
      "ftp://x",
    ])
      expect(() => renderCliInstallScript({ ...base, url })).toThrow(/url must be a plain http\(s\) URL/);
    expect(() => renderCliInstallScript({ ...base, sha256: "'; id; '" })).toThrow(/sha256/);
  });

  const tools = requireComponents("cli install script tools", executable("/usr/bin/shellcheck"));
  it.skipIf(!tools)("is POSIX sh that shellcheck accepts", async () => {
    const file = join(tempDir("capstan-cli-sh-"), "install.sh");
    writeFileSync(file, renderCliInstallScript(base));
    expect(await run("sh", ["-n", file])).toMatchObject({ code: 0 });
    const checked = await run("shellcheck", ["-s", "sh", file]);
    expect(checked.stdout + checked.stderr).toBe("");
  });

  it("stops with a clear message before downloading when node is missing or too old", async () => {
    const home = tempDir("capstan-cli-home-");
    const script = join(home, "install.sh");
    writeFileSync(script, renderCliInstallScript(base));
    const noNode = await run("/bin/sh", [script], { env: { HOME: home, PATH: "/nonexistent" } });
    expect(noNode.code).toBe(1);
    expect(noNode.stderr).toMatch(/capstan runs on Node\.js 20 or newer, and there is no node on PATH/);
    // Node 18 cannot be installed here next to the real one: a stand-in answers as it would.
    const bin = tempDir("capstan-old-node-");
    writeFileSync(
      join(bin, "node"),
      '#!/bin/sh\ncase "$1" in -p) echo 18 ;; --version) echo v18.19.0 ;; esac\n',
    );
    chmodSync(join(bin, "node"), 0o755);
    const oldNode = await run("/bin/sh", [script], { env: { HOME: home, PATH: bin } });
    expect(oldNode.code).toBe(1);
    expect(oldNode.stderr).toMatch(/Node\.js 20 or newer; .*\/node is v18\.19\.0\. Upgrade Node\.js/);
    expect(existsSync(join(home, ".local"))).toBe(false);
  });
});
