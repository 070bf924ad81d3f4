// Tests that need a real component (PostgreSQL, Docker Engine, a systemd host, Chromium) ask
// here. Outside CI a missing component skips the test with the reason printed; under CI=true a
// missing component is a failure, never a skip (see DESIGN.md, "How it is tested").
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";

export const isCI = process.env.CI === "true" || process.env.CI === "1";

export interface ComponentCheck {
  available: boolean;
  reason: string;
}

const cache = new Map<string, ComponentCheck>();

function probe(name: string, fn: () => ComponentCheck): ComponentCheck {
  let result = cache.get(name);
  if (!result) {
    try {
      result = fn();
    } catch (error) {
      result = { available: false, reason: `${name}: ${(error as Error).message.split("\n")[0]}` };
    }
    cache.set(name, result);
  }
  return result;
}

export function dockerEngine(): ComponentCheck {
  return probe("docker", () => {
    execFileSync("docker", ["info", "--format", "{{.ServerVersion}}"], { stdio: "pipe", timeout: 10_000 });
    return { available: true, reason: "" };
  });
}

export function dockerImage(image: string): ComponentCheck {
  return probe(`image:${image}`, () => {
    const engine = dockerEngine();
    if (!engine.available) return engine;
    execFileSync("docker", ["image", "inspect", image], { stdio: "pipe", timeout: 10_000 });
    return { available: true, reason: "" };
  });
}

export function executable(path: string): ComponentCheck {
  return probe(`exe:${path}`, () =>
    existsSync(path)
      ? { available: true, reason: "" }
      : { available: false, reason: `${path} is not installed` },
  );
}

/**
 * Returns true when every check passes. Otherwise: under CI throws (the run fails); elsewhere
 * prints why and returns false so the caller can `describe.skipIf(!ok)`.
 */
export function requireComponents(suite: string, ...checks: ComponentCheck[]): boolean {
  const missing = checks.filter((c) => !c.available).map((c) => c.reason);
  if (missing.length === 0) return true;
  const message = `${suite}: missing ${missing.join("; ")}. Run \`bash .ci/setup-machine.sh\` as root to install it.`;
  if (isCI) throw new Error(`CI=true and a required component is missing. ${message}`);
  console.warn(`SKIPPED ${message}`);
  return false;
}
