// A nix service's unit is the systemd unit (same hardening, escaping, EnvironmentFile) with
// ExecStart= and a relative WorkingDirectory= inside the built package.
import { describe, expect, it } from "vitest";
import { type NixServiceSpec, nixServiceSpecSchema, systemdServiceSpecSchema } from "../workflow/spec";
import { renderNixService, renderNixUnit } from "./render-nix-unit";
import { renderSystemdUnit } from "./render-systemd-unit";

const STORE = "/nix/store/lyqcs36y6s22qni0hr1aqwab4c8amgw7-capstan-hello";
const paths = {
  packageRoot: STORE,
  serviceDir: "/var/lib/capstan/nix/shop/web",
  environmentFile: "/var/lib/capstan/nix/shop/web/releases/r1-abc/env",
};
const spec = (nix: Record<string, unknown>, rest: Record<string, unknown> = {}): NixServiceSpec =>
  nixServiceSpecSchema.parse({ nix: { flake: "path:/srv/web", ...nix }, ...rest });

describe("renderNixUnit", () => {
  it("starts the program inside the store path, arguments quoted, env only in the EnvironmentFile", () => {
    const unit = renderNixUnit({
      workflow: "shop",
      service: "web",
      spec: spec({ exec: ["bin/server", "--greeting", "it's $HOME %n"] }, { env: { PORT: "8080" } }),
      ...paths,
    });
    expect(unit).toContain(`ExecStart=${STORE}/bin/server "--greeting" "it's $$HOME %%n"\n`);
    expect(unit).toContain(`EnvironmentFile=${paths.environmentFile}\n`);
    expect(unit).not.toContain("PORT");
    expect(unit).not.toMatch(/^WorkingDirectory=/m);
  });

  it("has exactly the hardening and unit fields of the equivalent systemd service", () => {
    const unitFields = {
      user: "capstan-web",
      restart: "always",
      resources: { memoryMax: "256M" },
      hardening: { profile: "strict", StateDirectory: "shop-web", SystemCallFilter: false },
      after: ["postgresql.service"],
    };
    const nix = renderNixUnit({
      workflow: "shop",
      service: "web",
      spec: spec({ exec: ["bin/server"], workingDirectory: "share/www", ...unitFields }),
      ...paths,
      omitDirectives: ["ProtectClock"],
    });
    const systemd = renderSystemdUnit({
      workflow: "shop",
      service: "web",
      spec: systemdServiceSpecSchema.parse({
        systemd: { exec: [`${STORE}/bin/server`], workingDirectory: `${STORE}/share/www`, ...unitFields },
      }),
      serviceDir: paths.serviceDir,
      environmentFile: paths.environmentFile,
      omitDirectives: ["ProtectClock"],
    });
    expect(nix).toBe(systemd);
    expect(nix).toContain("User=capstan-web\n");
    expect(nix).toContain("ProtectSystem=strict\n");
    expect(nix).not.toContain("ProtectClock");
  });

  it("keeps an absolute working directory as written", () => {
    const unit = renderNixUnit({
      workflow: "shop",
      service: "web",
      spec: spec({ exec: ["bin/server"], workingDirectory: "/srv/data" }),
      ...paths,
    });
    expect(unit).toContain("WorkingDirectory=/srv/data\n");
  });

  it("refuses a program outside the package and a package root that is not a plain path", () => {
    const good = spec({ exec: ["bin/server"] });
    const bad = { ...good, nix: { ...good.nix, exec: ["/bin/sh", "-c", "id"] } };
    expect(() => renderNixUnit({ workflow: "shop", service: "web", spec: bad, ...paths })).toThrow(
      /inside the built package/,
    );
    expect(() =>
      renderNixUnit({
        workflow: "shop",
        service: "web",
        spec: good,
        ...paths,
        packageRoot: "/nix/store/a b",
      }),
    ).toThrow(/packageRoot may contain only/);
  });
});

describe("renderNixService", () => {
  it("renders the EnvironmentFile with env and secret values, and refuses a missing secret", () => {
    const withSecret = spec({ exec: ["bin/server"] }, { env: { MODE: "prod" }, secrets: ["TOKEN"] });
    const rendered = renderNixService({
      workflow: "shop",
      service: "web",
      spec: withSecret,
      secrets: { TOKEN: "s3" },
    });
    expect(rendered.unitName).toBe("capstan-shop-web.service");
    expect(rendered.environment).toContain("MODE='prod'\nTOKEN='s3'\n");
    expect(rendered.unit(paths)).toContain(`ExecStart=${STORE}/bin/server\n`);
    expect(() =>
      renderNixService({ workflow: "shop", service: "web", spec: withSecret, secrets: {} }),
    ).toThrow("secret TOKEN has no value");
  });
});
