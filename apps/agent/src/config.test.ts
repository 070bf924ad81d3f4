import { mkdtempSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ConfigError, loadConfig, parseEnvFile, removeEnrollmentToken, tightenConfigMode } from "./config";

function tempConfig(text: string, mode = 0o600): string {
  const dir = mkdtempSync(join(tmpdir(), "capstan-agent-config-"));
  const file = join(dir, "agent.env");
  writeFileSync(file, text, { mode });
  return file;
}

describe("config", () => {
  it("reads the file, lets the environment override it and applies defaults", () => {
    const file = tempConfig(
      "# comment\nCAPSTAN_URL=https://cp.example.com/\nexport CAPSTAN_LABELS='role=web,zone=eu-1'\nCAPSTAN_HEARTBEAT_SECONDS=30\n",
    );
    const config = loadConfig({
      CAPSTAN_CONFIG_FILE: file,
      CAPSTAN_HEARTBEAT_SECONDS: "5",
      PATH: "/usr/bin",
    });
    expect(config.url).toBe("https://cp.example.com");
    expect(config.labels).toEqual({ role: "web", zone: "eu-1" });
    expect(config.heartbeatMs).toBe(5000);
    expect(config.stateDir).toBe("/var/lib/capstan");
    expect(config.policyFile).toBe("/etc/capstan/policy.json");
    expect(config.underSystemd).toBe(false);
    expect(config.childEnv).toEqual({ PATH: "/usr/bin" });
  });

  it("refuses invalid values without echoing them", () => {
    const file = tempConfig("CAPSTAN_URL=not a url\nCAPSTAN_ENROLLMENT_TOKEN=$(touch /tmp/x);secret\n");
    let error: unknown;
    try {
      loadConfig({ CAPSTAN_CONFIG_FILE: file });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toContain("CAPSTAN_URL");
    expect((error as Error).message).toContain("CAPSTAN_ENROLLMENT_TOKEN");
    expect((error as Error).message).not.toContain("secret");
  });

  it("removes the token line atomically and keeps mode 0600", () => {
    const file = tempConfig(
      "CAPSTAN_URL=https://a.example\nCAPSTAN_ENROLLMENT_TOKEN=abcdefghijklmnopqrst\nX=1\n",
      0o644,
    );
    expect(tightenConfigMode(file)).toBe(true);
    removeEnrollmentToken(file);
    expect(readFileSync(file, "utf8")).toBe("CAPSTAN_URL=https://a.example\nX=1\n");
    expect(statSync(file).mode & 0o777).toBe(0o600);
  });

  it("parses quotes and ignores junk lines", () => {
    expect(parseEnvFile("A=\"x y\"\nnot a line\nB='z'\nlower=1\n")).toEqual({ A: "x y", B: "z" });
  });
});
