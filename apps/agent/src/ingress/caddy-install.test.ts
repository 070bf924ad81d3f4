// What the agent does about a missing or old Caddy, by host (the install itself runs on a real
// systemd host in caddy-install.systemd.test.ts).
import { describe, expect, it } from "vitest";
import {
  isOlderThanMinimum,
  MIN_CADDY_VERSION,
  PACKAGE_CADDY,
  parseCaddyVersion,
  planCaddy,
} from "./caddy-install";

const host = { caddy: PACKAGE_CADDY, installed: true, version: "2.6.2", root: true, apt: true };

describe("planCaddy", () => {
  it("leaves an installed Caddy at or above the minimum alone, never downgrading a newer one", () => {
    expect(planCaddy(host)).toEqual({ action: "ok" });
    expect(planCaddy({ ...host, version: "v2.8.4 h1:abc=" })).toEqual({ action: "ok" });
    expect(planCaddy({ ...host, version: "v3.0.0" })).toEqual({ action: "ok" });
    // A build that prints no version is trusted rather than replaced.
    expect(planCaddy({ ...host, version: "custom build" })).toEqual({ action: "ok" });
  });

  it("installs a missing Caddy and upgrades an old one as root with apt", () => {
    expect(planCaddy({ ...host, installed: false, version: null })).toEqual({ action: "install" });
    expect(planCaddy({ ...host, version: "v2.5.2 h1:x" })).toEqual({ action: "upgrade" });
  });

  it("says exactly what to run when it cannot install", () => {
    const missing = { ...host, installed: false, version: null };
    expect(planCaddy({ ...missing, root: false })).toEqual({
      action: "fail",
      message:
        "Caddy is not installed at /usr/bin/caddy, and the agent does not run as root, so it cannot install it: run `sudo apt-get install caddy` on the host, then deploy again",
    });
    expect(planCaddy({ ...host, version: "2.4.6", root: false })).toMatchObject({
      action: "fail",
      message: expect.stringContaining(
        `Caddy 2.4.6 at /usr/bin/caddy is older than ${MIN_CADDY_VERSION}, which Capstan needs, and the agent does not run as root, so it cannot install it: run \`sudo apt-get install --only-upgrade caddy\``,
      ),
    });
    expect(planCaddy({ ...missing, apt: false })).toMatchObject({
      action: "fail",
      message: expect.stringContaining(
        "this host has no apt-get: install Caddy 2.6.2 or newer at /usr/bin/caddy",
      ),
    });
    // Another path than the package's: apt would not put it there, so the agent does not try.
    expect(planCaddy({ ...missing, caddy: "/opt/caddy/bin/caddy" })).toMatchObject({
      action: "fail",
      message: expect.stringContaining("Caddy is not installed at /opt/caddy/bin/caddy (CAPSTAN_CADDY)"),
    });
  });
});

describe("Caddy versions", () => {
  it("reads Debian's and upstream's version output", () => {
    expect(parseCaddyVersion("2.6.2\n")).toEqual([2, 6, 2]);
    expect(parseCaddyVersion("v2.10.0 h1:fonubSaQ=")).toEqual([2, 10, 0]);
    expect(parseCaddyVersion("(devel)")).toBeNull();
    expect(isOlderThanMinimum("2.6.1")).toBe(true);
    expect(isOlderThanMinimum("1.9.9")).toBe(true);
    expect(isOlderThanMinimum("2.6.2")).toBe(false);
    expect(isOlderThanMinimum("2.10.0")).toBe(false);
  });
});
