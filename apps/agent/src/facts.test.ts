// Host facts say what this host can really run: compared with what the Docker CLI, docker-compose
// and the kernel say here, not with fixed values, so the test holds on any machine it runs on.
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { dockerEngine, requireComponents } from "@capstan/testkit";
import { describe, expect, it } from "vitest";
import { docker, tempDir } from "../test/helpers";
import { DockerHost } from "./docker";
import { collectFacts } from "./facts";

const ok = requireComponents("host facts", dockerEngine());

function output(program: string, args: string[]): string | null {
  try {
    return execFileSync(program, args, { encoding: "utf8", stdio: "pipe", timeout: 60_000 }).trim();
  } catch {
    return null;
  }
}

describe.skipIf(!ok)("host facts on this machine", () => {
  it("report Docker, Compose, Nix and systemd as they really are", async () => {
    const facts = await collectFacts(tempDir("facts"), new DockerHost("/var/run/docker.sock", false));

    expect(facts.dockerVersion).toBe(docker(["version", "--format", "{{.Server.Version}}"]).trim());
    const v2 = output("docker", ["compose", "version", "--short"]);
    const v1 = output("docker-compose", ["version", "--short"]);
    expect(v2 ?? v1, "no Compose CLI on this machine").not.toBeNull();
    expect(facts.composeCommand).toBe(v2 ? "docker compose" : "docker-compose");
    expect(facts.composeVersion).toBe(v2 ?? v1);
    const nix = output("nix", ["--version"]);
    if (nix === null) expect(facts.nixVersion).toBeNull();
    else expect(nix).toContain(facts.nixVersion);
    // PID 1's own name is a second witness of whether systemd manages this machine.
    const pid1 = readFileSync("/proc/1/comm", "utf8").trim();
    expect(facts.systemdPid1).toBe(pid1 === "systemd");
  });

  it("report no Docker or Compose when the agent has no Docker Engine", async () => {
    const facts = await collectFacts(tempDir("facts"), null);
    expect(facts).toMatchObject({ dockerVersion: null, composeVersion: null, composeCommand: null });
  });
});
