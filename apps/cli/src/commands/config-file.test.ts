import { mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { capture } from "../../test/capture-io";
import { main } from "../main";
import { readApiConfig } from "./api-client";
import { configPath, readStoredConfig, removeStoredConfig, writeStoredConfig } from "./config-file";
import { runLogin, runLogout } from "./login";

const homes: string[] = [];
afterAll(() => {
  for (const dir of homes) rmSync(dir, { recursive: true, force: true });
});
function home(): string {
  const dir = mkdtempSync(join(tmpdir(), "capstan-cli-home-"));
  homes.push(dir);
  return dir;
}

describe("the stored login", () => {
  it("lives under XDG_CONFIG_HOME when it is absolute, else ~/.config", () => {
    expect(configPath({ HOME: "/home/a" })).toBe("/home/a/.config/capstan/config.json");
    expect(configPath({ HOME: "/home/a", XDG_CONFIG_HOME: "/xdg" })).toBe("/xdg/capstan/config.json");
    expect(configPath({ HOME: "/home/a", XDG_CONFIG_HOME: "rel" })).toBe(
      "/home/a/.config/capstan/config.json",
    );
  });

  it("is written 0600 in a 0700 folder, even over a looser file and folder", () => {
    const path = join(home(), "capstan", "config.json");
    mkdirSync(join(path, ".."), { mode: 0o755 });
    writeFileSync(path, "{}", { mode: 0o644 });
    writeStoredConfig({ url: "https://c.example.com", token: "cst_x" }, path);
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(statSync(join(path, "..")).mode & 0o777).toBe(0o700);
    expect(readStoredConfig(path)).toEqual({ url: "https://c.example.com", token: "cst_x" });
    expect(removeStoredConfig(path)).toBe(true);
    expect(removeStoredConfig(path)).toBe(false);
    expect(readStoredConfig(path)).toBeNull();
  });

  it("says which file is damaged and how to fix it", () => {
    const path = join(home(), "config.json");
    writeFileSync(path, "not json");
    expect(() => readStoredConfig(path)).toThrow(
      `${path} is not a capstan config file; run \`capstan logout\``,
    );
  });

  it("is used only when neither CAPSTAN_URL nor CAPSTAN_TOKEN is set", () => {
    const HOME = home();
    writeStoredConfig({ url: "https://stored.example.com/", token: "cst_stored" }, configPath({ HOME }));
    expect(readApiConfig({ HOME })).toEqual({ url: "https://stored.example.com", token: "cst_stored" });
    // A URL from elsewhere never gets the stored token.
    expect(() => readApiConfig({ HOME, CAPSTAN_URL: "https://other.example.com" })).toThrow(/CAPSTAN_TOKEN/);
    expect(readApiConfig({ HOME, CAPSTAN_URL: "https://env.example.com", CAPSTAN_TOKEN: "cst_env" })).toEqual(
      {
        url: "https://env.example.com",
        token: "cst_env",
      },
    );
    expect(() => readApiConfig({ HOME: home() })).toThrow(/or run `capstan login` once/);
  });
});

describe("capstan login / logout usage", () => {
  it("needs a URL, and refuses a token that cannot be one, writing nothing", async () => {
    const HOME = home();
    const noUrl = capture();
    expect(await runLogin(["--token", "cst_a"], noUrl, { HOME })).toBe(2);
    expect(noUrl.stderr).toMatch(/--url URL/);
    const spaced = capture();
    expect(await runLogin(["--url", "https://c.example.com", "--token", "a b"], spaced, { HOME })).toBe(2);
    expect(spaced.stderr).toMatch(/not an API token/);
    expect(spaced.stderr).not.toContain("a b");
    const ftp = capture();
    expect(await runLogin(["--url", "ftp://c.example.com"], ftp, { HOME, CAPSTAN_TOKEN: "cst_a" })).toBe(2);
    expect(ftp.stderr).toMatch(/--url must start with https:\/\//);
    expect(readStoredConfig(configPath({ HOME }))).toBeNull();
  });

  it("says when the control plane cannot be reached, writing nothing", async () => {
    const HOME = home();
    const io = capture();
    // Port 9 on loopback (discard) is closed on this machine: the connection is refused.
    expect(await runLogin(["--url", "http://127.0.0.1:9", "--token", "cst_secret"], io, { HOME })).toBe(5);
    expect(io.stderr).toMatch(/cannot reach http:\/\/127\.0\.0\.1:9/);
    expect(io.stderr + io.stdout).not.toContain("cst_secret");
    expect(readStoredConfig(configPath({ HOME }))).toBeNull();
  });

  it("logout says whether there was a login", () => {
    const HOME = home();
    const none = capture();
    expect(runLogout([], none, { HOME })).toBe(0);
    expect(none.stdout).toMatch(/Not logged in/);
    writeStoredConfig({ url: "https://c.example.com", token: "cst_x" }, configPath({ HOME }));
    const io = capture();
    expect(runLogout([], io, { HOME })).toBe(0);
    expect(io.stdout).toBe(`Logged out: removed ${configPath({ HOME })}\n`);
  });

  it("prints the version", async () => {
    const io = capture();
    expect(await main(["--version"], io)).toBe(0);
    expect(io.stdout).toMatch(/^capstan \d+\.\d+\.\d+/);
  });
});
