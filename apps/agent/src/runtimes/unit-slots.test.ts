import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { healthCheckSchema, systemdServiceSpecSchema } from "@capstan/templates";
import { describe, expect, it } from "vitest";
import { tempDir } from "../../test/helpers";
import { setActiveSlot } from "./compose-slots";
import { SystemdRuntime } from "./systemd";
import { activePort, checksOnPort, portSettings, slotBPort, slotUnitName, slotUnitText } from "./unit-slots";

const UNIT = `[Service]
Type=exec
ExecStart=/srv/app/current/server
EnvironmentFile=/srv/app/env/r1.env
DynamicUser=yes
`;

describe("unit slots", () => {
  it("names slot b's unit with an underscore no service name can hold", () => {
    expect(slotUnitName("capstan-shop-api.service", "a")).toBe("capstan-shop-api.service");
    expect(slotUnitName("capstan-shop-api.service", "b")).toBe("capstan-shop-api_b.service");
  });

  it("takes port settings from a routed spec with portEnv only", () => {
    const spec = (systemd: object, domains?: object[]) =>
      systemdServiceSpecSchema.parse({ systemd: { exec: ["/bin/app"], ...systemd }, domains });
    expect(portSettings(spec({ portEnv: "PORT" }, [{ host: "a.example.com", port: 8080 }]))).toEqual({
      portEnv: "PORT",
      routed: 8080,
    });
    expect(portSettings(spec({}, [{ host: "a.example.com", port: 8080 }]))).toBeNull();
    expect(portSettings(spec({ portEnv: "PORT" }))).toBeNull();
  });

  it("refuses a portEnv that would inject a line into the unit, whatever the control plane sent", () => {
    const hostile = {
      systemd: { exec: ["/bin/app"], portEnv: "PORT=1\nExecStartPre=/bin/sh -c id" },
      domains: [{ host: "a.example.com", port: 8080 }],
      env: {},
      secrets: [],
      healthChecks: [],
    };
    expect(() => portSettings(hostile as never)).toThrow(/portEnv is refused/);
  });

  it("sets the slot's port after the EnvironmentFile and shares slot a's dynamic user", () => {
    const a = slotUnitText(UNIT, "capstan-shop-api.service", "a", 8080, "PORT");
    expect(a).toContain("EnvironmentFile=/srv/app/env/r1.env\nEnvironment=PORT=8080\nDynamicUser=yes");
    expect(a).not.toContain("User=capstan");
    const b = slotUnitText(a, "capstan-shop-api.service", "b", 41234, "PORT");
    expect(b.match(/^Environment=PORT=/gm)).toEqual(["Environment=PORT="]);
    expect(b).toContain("Environment=PORT=41234\nUser=capstan-shop-api\n");
    const named = slotUnitText(
      UNIT.replace("DynamicUser=yes", "User=shop"),
      "capstan-shop-api.service",
      "b",
      1,
      "PORT",
    );
    expect(named.match(/^User=/gm)).toEqual(["User="]);
  });

  it("moves loopback checks of the domain's port to the slot's port, and nothing else", () => {
    const checks = [
      { http: { url: "http://127.0.0.1:8080/health" } },
      { http: { url: "http://localhost:8080/" } },
      { http: { url: "http://db.internal:8080/" } },
      { http: { url: "http://127.0.0.1:9090/metrics" } },
      { tcp: { port: 8080 } },
      { tcp: { host: "10.0.0.5", port: 8080 } },
      { command: ["/bin/true"] },
    ].map((c) => healthCheckSchema.parse(c));
    const moved = checksOnPort(checks, 8080, 41234);
    expect(
      moved.map((c) => ("http" in c ? c.http.url : "tcp" in c ? `${c.tcp.host}:${c.tcp.port}` : "cmd")),
    ).toEqual([
      "http://127.0.0.1:41234/health",
      "http://localhost:41234/",
      "http://db.internal:8080/",
      "http://127.0.0.1:9090/metrics",
      "127.0.0.1:41234",
      "10.0.0.5:8080",
      "cmd",
    ]);
    expect(checksOnPort(checks, 8080, 8080)).toEqual(checks);
  });

  it("remembers slot b's port and serves it while slot b is active", async () => {
    const dir = tempDir("unit-slots");
    const port = await slotBPort(dir, 8080);
    expect(port).not.toBe(8080);
    expect(await slotBPort(dir, 8080)).toBe(port);
    expect(activePort(dir, 8080)).toBe(8080);
    setActiveSlot(dir, "b");
    expect(activePort(dir, 8080)).toBe(port);
    expect(activePort(dir, 9090)).toBe(9090);
    writeFileSync(join(dir, "slot-ports.json"), "not json");
    expect(activePort(dir, 8080)).toBe(8080);
  });

  it("pins paths through `current` to the release for a unit that runs beside another", () => {
    const runtime = new SystemdRuntime("/srv", "/etc/systemd/system");
    const text = [
      "ExecStart=/srv/shop/api/current/server --port 1",
      "WorkingDirectory=/srv/shop/api/current",
      "ReadOnlyPaths=/srv/shop/api/currently",
    ].join("\n");
    expect(runtime.pinUnit({ workflow: "shop", service: "api" }, "r2-abc", text).split("\n")).toEqual([
      "ExecStart=/srv/shop/api/releases/r2-abc/server --port 1",
      "WorkingDirectory=/srv/shop/api/releases/r2-abc",
      "ReadOnlyPaths=/srv/shop/api/currently",
    ]);
  });
});
