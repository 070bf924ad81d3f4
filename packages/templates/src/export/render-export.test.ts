import { describe, expect, it } from "vitest";
import { workflowSpecSchema } from "../workflow/spec";
import { renderDockerfile, renderDockerignore } from "./render-dockerfile";
import { renderExport } from "./render-export";

const spec = workflowSpecSchema.parse({
  name: "shop",
  targets: { hosts: ["web-1"] },
  secrets: ["DB_PASSWORD", "API_TOKEN"],
  services: {
    db: {
      compose: {
        inline: {
          services: { pg: { image: "postgres:16", environment: { POSTGRES_PASSWORD: "${DB_PASSWORD}" } } },
        },
      },
      secrets: ["DB_PASSWORD"],
    },
    api: {
      dependsOn: ["db"],
      systemd: { exec: ["current/bin/api"], artifact: { upload: "api", sha256: "c".repeat(64) } },
      env: { PORT: "8080" },
      secrets: ["API_TOKEN"],
    },
  },
});

describe("renderExport", () => {
  it("renders the folder: compose, units, .env.example files, README", () => {
    const files = renderExport({ spec, order: ["db", "api"] });
    expect(Object.keys(files).sort()).toEqual([
      ".env.example",
      "README.md",
      "compose/db/.env.example",
      "compose/db/compose.yaml",
      "systemd/api.env.example",
      "systemd/capstan-shop-api.service",
    ]);
    expect(files["README.md"]!.content).toMatchSnapshot();
    expect(files[".env.example"]!.content).toBe(
      "# Secrets this workflow needs. Values are never exported.\nDB_PASSWORD=\nAPI_TOKEN=\n",
    );
    expect(files["systemd/api.env.example"]!.content).toContain("PORT='8080'\nAPI_TOKEN=\n");
    expect(files["systemd/capstan-shop-api.service"]!.content).toContain(
      "ExecStart=/opt/capstan/shop/api/current/bin/api\n",
    );
  });

  it("exports a nix service as a nix build into an out-link and a unit that runs from it", () => {
    const withNix = workflowSpecSchema.parse({
      name: "notes",
      targets: { hosts: ["web-1"] },
      secrets: ["TOKEN"],
      services: {
        web: { nix: { flake: "path:/srv/notes", exec: ["bin/notes", "--port", "80"] }, secrets: ["TOKEN"] },
      },
    });
    const files = renderExport({ spec: withNix });
    expect(files["systemd/capstan-notes-web.service"]!.content).toContain(
      'ExecStart=/opt/capstan/notes/web/result/bin/notes "--port" "80"\n',
    );
    expect(files["systemd/web.env.example"]!.content).toContain("TOKEN=\n");
    expect(files["README.md"]!.content).toContain(
      "sudo nix build --extra-experimental-features 'nix-command flakes' --out-link /opt/capstan/notes/web/result 'path:/srv/notes#default'\n",
    );
  });

  it("adds a Dockerfile and .dockerignore when asked", () => {
    const files = renderExport({ spec, dockerfile: "node" });
    expect(files.Dockerfile!.content).toBe(renderDockerfile({ kind: "node" }));
    expect(files[".dockerignore"]!.content).toBe(renderDockerignore());
  });
});

describe("renderDockerfile", () => {
  it.each(["node", "python"] as const)(
    "renders a multi-stage %s Dockerfile with a non-root user and a healthcheck",
    (kind) => {
      const text = renderDockerfile({ kind, port: 8080, healthPath: "/ready" });
      expect(text.match(/^FROM /gm)).toHaveLength(2);
      expect(text).toMatch(/^USER (node|app)$/m);
      expect(text).toMatch(/^HEALTHCHECK /m);
      expect(text).toContain("http://127.0.0.1:8080/ready");
      expect(text).toMatchSnapshot();
    },
  );

  it("refuses a health path that could break out of the command", () => {
    expect(() => renderDockerfile({ kind: "node", healthPath: "/x'); process.exit(0) //" })).toThrow(
      /healthPath/,
    );
  });
});
