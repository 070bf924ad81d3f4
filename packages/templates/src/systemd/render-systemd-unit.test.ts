import { chmodSync, existsSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { executable, requireComponents } from "@capstan/testkit";
import { afterAll, describe, expect, it } from "vitest";
import { INJECTION_CORPUS, inBatches, REFUSED_CORPUS, run, tempDir } from "../../test/tools";
import { type SystemdServiceSpec, systemdServiceSpecSchema } from "../workflow/spec";
import { renderEnvironmentFile } from "./render-environment-file";
import { renderSystemdService } from "./render-systemd-service";
import { renderSystemdUnit } from "./render-systemd-unit";

const paths = (serviceDir: string) => ({ serviceDir, environmentFile: `${serviceDir}/env/r1.env` });
const spec = (systemd: Record<string, unknown>, rest: Record<string, unknown> = {}): SystemdServiceSpec =>
  systemdServiceSpecSchema.parse({ systemd, ...rest });

/** A corpus of systemd services as workflows write them. */
const CORPUS: { name: string; spec: SystemdServiceSpec; hardened: boolean }[] = [
  { name: "plain", spec: spec({ exec: ["/usr/bin/node", "server.js"] }), hardened: true },
  {
    name: "artifact",
    spec: spec({
      exec: ["current/bin/app", "--port", "8080"],
      artifact: { url: "https://example.com/app.tar.gz", sha256: "a".repeat(64) },
      resources: { cpuQuota: "50%", memoryMax: "256M", tasksMax: 64 },
      hardening: { StateDirectory: "shop-api", ReadWritePaths: ["/var/cache/shop"] },
    }),
    hardened: true,
  },
  {
    name: "named-user",
    spec: spec({
      exec: ["/usr/bin/node", "worker.js"],
      user: "capstan-worker",
      workingDirectory: "/srv/worker",
      restart: "always",
      after: ["postgresql.service"],
      requires: ["postgresql.service"],
      wants: ["redis-server.service"],
    }),
    hardened: true,
  },
  {
    name: "port-80",
    spec: spec({
      exec: ["/usr/bin/node", "proxy.js"],
      hardening: {
        CapabilityBoundingSet: "CAP_NET_BIND_SERVICE",
        AmbientCapabilities: "CAP_NET_BIND_SERVICE",
        PrivateUsers: false,
      },
    }),
    hardened: true,
  },
  {
    name: "baseline",
    spec: spec({ exec: ["/usr/bin/node", "legacy.js"], hardening: { profile: "baseline" } }),
    hardened: false,
  },
  {
    name: "none",
    spec: spec({ exec: ["/usr/bin/node", "x.js"], hardening: { profile: "none" } }),
    hardened: false,
  },
  {
    name: "switched",
    spec: spec({
      exec: ["/usr/bin/node", "x.js"],
      hardening: { ProtectSystem: "full", PrivateNetwork: true, SystemCallFilter: false },
    }),
    // Not the default profile: switching protections off may raise the score.
    hardened: false,
  },
];

describe("renderSystemdUnit", () => {
  it("renders a hardened unit by default", () => {
    expect(
      renderSystemdUnit({
        workflow: "shop",
        service: "api",
        spec: CORPUS[0]!.spec,
        ...paths("/var/lib/capstan/systemd/shop/api"),
      }),
    ).toMatchSnapshot();
  });

  it("renders artifacts, resources and switched directives", () => {
    expect(
      renderSystemdUnit({
        workflow: "shop",
        service: "api",
        spec: CORPUS[1]!.spec,
        ...paths("/var/lib/capstan/systemd/shop/api"),
      }),
    ).toMatchSnapshot();
    const switched = renderSystemdUnit({
      workflow: "w",
      service: "s",
      spec: CORPUS[6]!.spec,
      ...paths("/srv/s"),
    });
    expect(switched).toContain("ProtectSystem=full\n");
    expect(switched).toContain("PrivateNetwork=yes\n");
    expect(switched).not.toContain("SystemCallFilter");
  });

  it("omits directives the host cannot apply", () => {
    const unit = renderSystemdUnit({
      workflow: "w",
      service: "s",
      spec: CORPUS[0]!.spec,
      ...paths("/srv/s"),
      omitDirectives: ["SystemCallFilter", "ProtectClock"],
    });
    expect(unit).not.toMatch(/^(SystemCallFilter|ProtectClock)=/m);
    expect(unit).toMatch(/^ProtectHostname=yes$/m);
  });

  it("never writes environment or secrets into the unit", () => {
    const rendered = renderSystemdService({
      workflow: "w",
      service: "s",
      spec: spec({ exec: ["/usr/bin/node"] }, { env: { A: "1" }, secrets: ["TOKEN"] }),
      secrets: { TOKEN: "very-secret-value" },
    });
    const unit = rendered.unit(paths("/srv/s"));
    expect(unit).not.toMatch(/^Environment=/m);
    expect(unit).not.toContain("very-secret-value");
    expect(rendered.environment).toContain("TOKEN='very-secret-value'");
    expect(rendered.unitName).toBe("capstan-w-s.service");
    expect(() =>
      renderSystemdService({
        workflow: "w",
        service: "s",
        spec: spec({ exec: ["/usr/bin/node"] }, { secrets: ["TOKEN"] }),
        secrets: {},
      }),
    ).toThrow(/TOKEN has no value/);
  });

  it("refuses newlines, carriage returns and NUL in arguments and values, naming only the key", () => {
    for (const bad of REFUSED_CORPUS) {
      const s = spec({ exec: ["/usr/bin/node"] });
      s.systemd.exec.push(bad);
      expect(() => renderSystemdUnit({ workflow: "w", service: "s", spec: s, ...paths("/srv/s") })).toThrow(
        /exec\[1\] must not contain a newline/,
      );
      let message = "";
      try {
        renderEnvironmentFile({}, { TOKEN: bad });
      } catch (error) {
        message = (error as Error).message;
      }
      expect(message).toMatch(/secrets\.TOKEN/);
      expect(message).not.toContain(bad);
    }
  });

  it("puts every injection string into exactly one quoted ExecStart argument", () => {
    const s = spec({ exec: ["/usr/bin/node", ...INJECTION_CORPUS] });
    const unit = renderSystemdUnit({ workflow: "w", service: "s", spec: s, ...paths("/srv/s") });
    const directives = unit.split("\n").filter((l) => /^[A-Za-z]+=/.test(l));
    const plain = renderSystemdUnit({
      workflow: "w",
      service: "s",
      spec: spec({ exec: ["/usr/bin/node"] }),
      ...paths("/srv/s"),
    });
    expect(directives.length).toBe(plain.split("\n").filter((l) => /^[A-Za-z]+=/.test(l)).length);
  });
});

const tools = requireComponents("systemd-analyze checks", executable("/usr/bin/systemd-analyze"));

describe.skipIf(!tools)("rendered units checked by systemd-analyze", { timeout: 120_000 }, () => {
  const root = tempDir("capstan-units-");
  afterAll(async () => {
    const { rm } = await import("node:fs/promises");
    await rm(root, { recursive: true, force: true });
  });

  function writeUnit(name: string, s: SystemdServiceSpec): string {
    // verify wants ExecStart= to exist: artifact programs live in the service folder.
    const serviceDir = join(root, name);
    mkdirSync(join(serviceDir, "current", "bin"), { recursive: true });
    writeFileSync(join(serviceDir, "current", "bin", "app"), "#!/bin/sh\n");
    chmodSync(join(serviceDir, "current", "bin", "app"), 0o755);
    const file = join(root, `capstan-corpus-${name}.service`);
    writeFileSync(
      file,
      renderSystemdUnit({ workflow: "corpus", service: name, spec: s, ...paths(serviceDir) }),
    );
    return file;
  }

  it("every corpus unit passes systemd-analyze verify; hardened ones score <= 2.0", async () => {
    const injection = spec({ exec: ["/usr/bin/node", ...INJECTION_CORPUS], workingDirectory: "current" });
    const units = [...CORPUS, { name: "injection", spec: injection, hardened: true }].map((c) => ({
      ...c,
      file: writeUnit(c.name, c.spec),
    }));
    const results = await inBatches(units, 2, async (u) => ({
      name: u.name,
      hardened: u.hardened,
      verify: await run("systemd-analyze", ["verify", u.file], { cwd: root }),
      security: await run("systemd-analyze", ["security", "--offline=yes", u.file], { cwd: root }),
    }));
    for (const r of results) {
      const complaints = (r.verify.stderr + r.verify.stdout)
        .split("\n")
        .filter((l) => l.includes("capstan-corpus") && !/EnvironmentFile|Failed to open/.test(l));
      expect({ unit: r.name, code: r.verify.code, complaints }).toEqual({
        unit: r.name,
        code: 0,
        complaints: [],
      });
      const score = Number(/Overall exposure level for \S+: ([0-9.]+)/.exec(r.security.stdout)?.[1]);
      expect(Number.isFinite(score)).toBe(true);
      if (r.hardened) expect({ unit: r.name, score: score <= 2.0 }).toEqual({ unit: r.name, score: true });
    }
    expect(existsSync("/tmp/capstan-injected")).toBe(false);
  });
});

describe("reloadSignal", () => {
  it("renders ExecReload= sending the signal to the main process, and nothing without it", () => {
    const render = (s: SystemdServiceSpec) =>
      renderSystemdUnit({ workflow: "shop", service: "api", spec: s, ...paths("/srv/x") });
    const unit = render(spec({ exec: ["/usr/bin/node", "server.js"], reloadSignal: "HUP" }));
    expect(unit).toContain("\nExecReload=kill -s HUP $MAINPID\n");
    expect(render(spec({ exec: ["/usr/bin/node", "server.js"] }))).not.toContain("ExecReload=");
    expect(() => spec({ exec: ["/usr/bin/node"], reloadSignal: "KILL" })).toThrow();
  });
});

describe("portEnv", () => {
  const render = (s: SystemdServiceSpec) =>
    renderSystemdUnit({ workflow: "shop", service: "api", spec: s, ...paths("/srv/x") });
  const routed = (systemd: object, domains?: object[]) =>
    systemdServiceSpecSchema.parse({
      systemd: { exec: ["/usr/bin/node", "server.js"], ...systemd },
      domains,
    });

  it("sets the variable to the domains' port after the EnvironmentFile, only for a routed service", () => {
    const unit = render(routed({ portEnv: "PORT" }, [{ host: "api.example.com", port: 8080 }]));
    expect(unit).toContain("\nEnvironmentFile=/srv/x/env/r1.env\nEnvironment=PORT=8080\n");
    expect(render(routed({ portEnv: "PORT" }))).not.toContain("Environment=");
    expect(render(routed({}, [{ host: "api.example.com", port: 8080 }]))).not.toContain("Environment=");
  });

  it("refuses a portEnv that would add a line to the unit, even past the schema", () => {
    const hostile = routed({ portEnv: "PORT" }, [{ host: "api.example.com", port: 8080 }]);
    hostile.systemd.portEnv = "PORT=1\nExecStartPre=/bin/sh";
    expect(() => render(hostile)).toThrow(/portEnv must be an environment variable name/);
  });
});
