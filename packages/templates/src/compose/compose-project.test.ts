import { describe, expect, it } from "vitest";
import { DEFAULT_HOST_POLICY, hostPolicySchema } from "../workflow/host-policy";
import { composeServiceSpecSchema } from "../workflow/spec";
import { formatIssuePath } from "../workflow/workflow-issue";
import { type ComposeProject, composeBuildImageTag, composeFileDir } from "./compose-project";
import { prepareComposeDocument } from "./prepare-compose-document";
import { renderComposeProject } from "./render-compose-project";

const ROOT = "/srv/capstan/releases/r1/project";
const DATA = "/srv/capstan/data/shop/web";

function project(entries: string[], dir = ""): ComposeProject {
  return {
    entries: new Set(entries),
    dir,
    root: ROOT,
    dataRoot: DATA,
    imageTag: (svc) => composeBuildImageTag("shop", "web", svc, "ab".repeat(32)),
  };
}

const ENTRIES = [
  "compose.yaml",
  "nginx.conf",
  "config/",
  "config/app.ini",
  ".env.app",
  "app/",
  "app/Dockerfile",
  "app/docker/",
  "app/docker/Dockerfile.prod",
  "secrets/",
  "secrets/db.txt",
];

function prepare(
  document: Record<string, unknown>,
  options: {
    entries?: string[];
    dir?: string;
    variables?: Record<string, string>;
    realPath?: (p: string) => string | undefined;
    policy?: object;
  } = {},
) {
  return prepareComposeDocument({
    document,
    variables: options.variables ?? {},
    policy: hostPolicySchema.parse(options.policy ?? {}),
    project: project(options.entries ?? ENTRIES, options.dir),
    realPath: options.realPath,
  });
}

const messages = (result: ReturnType<typeof prepare>) =>
  result.ok ? [] : result.issues.map((i) => `${formatIssuePath(i.path)}: ${i.message}`);

describe("prepareComposeDocument with a project", () => {
  it("maps binds in the bundle to the unpacked project and others to the data folder", () => {
    const result = prepare({
      services: {
        web: {
          image: "nginx:1.27",
          volumes: [
            "./nginx.conf:/etc/nginx/nginx.conf:ro",
            "config/:/config",
            "./data:/data",
            "./data/uploads:/uploads",
            { type: "bind", source: "./config/app.ini", target: "/app.ini" },
            { type: "bind", source: "logs", target: "/logs" },
            "cache:/cache-volume",
          ],
        },
      },
      volumes: { cache: {} },
    });
    expect(messages(result)).toEqual([]);
    if (!result.ok) return;
    const web = (result.document.services as Record<string, { volumes: unknown[] }>).web!;
    expect(web.volumes).toEqual([
      `${ROOT}/nginx.conf:/etc/nginx/nginx.conf:ro`,
      `${ROOT}/config:/config`,
      `${DATA}/data:/data`,
      `${DATA}/data/uploads:/uploads`,
      { type: "bind", source: `${ROOT}/config/app.ini`, target: "/app.ini" },
      { type: "bind", source: `${DATA}/logs`, target: "/logs" },
      "cache:/cache-volume",
    ]);
    expect(result.dataDirs).toEqual([`${DATA}/data`, `${DATA}/data/uploads`, `${DATA}/logs`]);
    expect(result.builds).toEqual([]);
  });

  it("resolves paths from the Compose file's folder and refuses those that leave the project", () => {
    const inDeploy = prepare(
      { services: { web: { image: "x", volumes: ["../nginx.conf:/n.conf", "./state:/state"] } } },
      { entries: [...ENTRIES, "deploy/", "deploy/compose.yaml"], dir: "deploy" },
    );
    expect(messages(inDeploy)).toEqual([]);
    if (inDeploy.ok)
      expect((inDeploy.document.services as Record<string, { volumes: string[] }>).web!.volumes).toEqual([
        `${ROOT}/nginx.conf:/n.conf`,
        `${DATA}/deploy/state:/state`,
      ]);
    // The attack: climbing out of the bundle into the agent's folders or the host.
    const out = prepare({
      services: { web: { image: "x", volumes: ["../../../../etc:/host-etc", "./a/../../x:/x"] } },
    });
    expect(messages(out)).toEqual([
      "services.web.volumes[0]: `../../../../etc` leaves the project folder; use a path inside it, or an absolute host path the host policy allows (allowHostPaths)",
      "services.web.volumes[1]: `./a/../../x` leaves the project folder; use a path inside it, or an absolute host path the host policy allows (allowHostPaths)",
    ]);
    // Absolute paths are host paths as without a project.
    expect(messages(prepare({ services: { web: { image: "x", volumes: [`${ROOT}/x:/x`] } } }))).toEqual([
      `services.web.volumes[0]: host path \`${ROOT}/x\` is refused by the host policy (allowHostPaths)`,
    ]);
  });

  it("refuses a bundle path or data folder whose real path leads out (links resolved by the agent)", () => {
    const links: Record<string, string> = {
      [ROOT]: ROOT,
      [DATA]: DATA,
      [`${ROOT}/config`]: "/etc",
      [`${ROOT}/nginx.conf`]: `${ROOT}/nginx.conf`,
      // A container of an earlier release left a link in its data folder.
      [`${DATA}/data`]: "/var/run/docker.sock",
    };
    const document = {
      services: { web: { image: "x", volumes: ["./config:/c", "./nginx.conf:/n", "./data:/d"] } },
    };
    const result = prepare(document, { realPath: (p) => links[p] });
    expect(messages(result)).toEqual([
      "services.web.volumes[0]: `./config` (a link out of the project to `/etc`) is refused by the host policy (allowHostPaths)",
      "services.web.volumes[2]: mounting the Docker socket is refused by the host policy (allowDockerSocket)",
    ]);
  });

  it("reads env files from the bundle, writes missing ones from env and secrets, skips optional ones", () => {
    const result = prepare(
      {
        services: {
          web: {
            image: "x",
            env_file: [".env.app", { path: "./.env.local", required: false }, { path: "app.env" }],
          },
          worker: { image: "x", env_file: ".env.app" },
        },
      },
      { variables: { DB_PASSWORD: "capstan-secret-DB_PASSWORD", PORT: "8080" } },
    );
    expect(messages(result)).toEqual([]);
    if (!result.ok) return;
    const services = result.document.services as Record<string, { env_file: unknown }>;
    expect(services.web!.env_file).toEqual([`${ROOT}/.env.app`, `${ROOT}/app.env`]);
    expect(services.worker!.env_file).toEqual([`${ROOT}/.env.app`]);
    expect(Object.keys(result.envFiles)).toEqual(["app.env"]);
    expect(result.envFiles["app.env"]).toContain("DB_PASSWORD='capstan-secret-DB_PASSWORD'\nPORT='8080'\n");
  });

  it("finds folders a bundle lists only through their files, and refuses a folder as env file", () => {
    const result = prepare(
      { services: { web: { image: "x", volumes: ["./conf:/conf"], env_file: ["conf", ""] } } },
      { entries: ["compose.yaml", "conf/a.ini"] },
    );
    expect(messages(result)).toEqual([
      "services.web.env_file[0]: env file `conf` is a folder",
      "services.web.env_file[1]: env file `` is a folder",
    ]);
    const fixed = prepare(
      { services: { web: { image: "x", volumes: ["./conf:/conf"] } } },
      { entries: ["compose.yaml", "conf/a.ini"] },
    );
    expect(fixed.ok && fixed.dataDirs).toEqual([]);
  });

  it("refuses a missing env file when the service has nothing to write it from, naming the file", () => {
    const result = prepare({ services: { web: { image: "x", env_file: ["./stack.env"] } } });
    expect(messages(result)).toEqual([
      "services.web.env_file[0]: env file `./stack.env` is not in the project and the service has no `env` or `secrets` to write it from: add the file to the repository or the uploaded folder, give the service `env`/`secrets` with the variables the file would hold, or mark it `required: false`",
    ]);
    expect(messages(prepare({ services: { web: { image: "x", env_file: "/etc/shadow" } } }))).toEqual([
      "services.web.env_file: host path `/etc/shadow` is refused by the host policy (allowHostPaths)",
    ]);
  });

  it("generates a Dockerfile only for build contexts without one, and only when the service asks", () => {
    const entries = [...ENTRIES, "site/", "site/package.json"];
    const document = { services: { site: { build: "./site" }, app: { build: "./app" } } };
    const generated = prepareComposeDocument({
      document,
      variables: {},
      policy: DEFAULT_HOST_POLICY,
      project: project(entries),
      generateDockerfile: "node",
    });
    expect(generated.ok).toBe(true);
    if (!generated.ok) return;
    // app/ ships its own Dockerfile: it is kept; site/ has none: Capstan's is written there.
    expect(Object.keys(generated.dockerfiles)).toEqual(["site/Dockerfile"]);
    expect(generated.dockerfiles["site/Dockerfile"]).toMatch(/^FROM node:\S+ AS build$/m);
    expect(generated.notices).toContain(
      "service `site`: its build context has no Dockerfile; Capstan's generated node Dockerfile is used",
    );
    const plain = prepare(document, { entries });
    expect(plain.ok && plain.dockerfiles).toEqual({});
  });

  it("builds in the bundle with Capstan's tag; the Dockerfile must stay in the context", () => {
    const result = prepare({
      name: "upstream",
      services: {
        app: { build: "./app", image: "ghcr.io/upstream/app:latest" },
        worker: { build: { context: "app", dockerfile: "docker/Dockerfile.prod", target: "prod" } },
        db: { image: "postgres:16" },
      },
    });
    expect(messages(result)).toEqual([]);
    if (!result.ok) return;
    const tag = (svc: string) => `capstan/shop-web-${svc}:${"ab".repeat(6)}`;
    expect(result.document.name).toBeUndefined();
    expect(result.document.services).toEqual({
      app: { build: `${ROOT}/app`, image: tag("app") },
      worker: {
        build: { context: `${ROOT}/app`, dockerfile: "docker/Dockerfile.prod", target: "prod" },
        image: tag("worker"),
      },
      db: { image: "postgres:16" },
    });
    expect(result.builds).toEqual(["app", "worker"]);
    expect(result.notices).toEqual([
      "the top-level `name: upstream` is ignored: Capstan names the project",
      `service \`app\`: \`image: ghcr.io/upstream/app:latest\` is replaced by the image built from \`build\` (${tag("app")})`,
    ]);

    const bad = prepare({
      services: {
        a: { build: { context: "app", dockerfile: "../nginx.conf" } },
        b: { build: { context: "app", dockerfile: "/etc/passwd" } },
        c: { build: "./missing" },
        d: { build: { context: "app", dockerfile: "Dockerfile.nope" } },
        e: { build: "../../outside" },
      },
    });
    expect(messages(bad)).toEqual([
      "services.a.build.dockerfile: `../nginx.conf` must be a path inside the build context `app`",
      "services.b.build.dockerfile: `/etc/passwd` must be a path inside the build context `app`",
      "services.c.build: `./missing` is not in the project: add it to the repository or the uploaded folder",
      "services.d.build.dockerfile: `Dockerfile.nope` is not in the project: add it to the repository or the uploaded folder",
      "services.e.build: `../../outside` leaves the project folder; use a path inside it, or an absolute host path the host policy allows (allowHostPaths)",
    ]);
  });

  it("maps secret and config files of the bundle and refuses missing ones", () => {
    const result = prepare({
      services: { web: { image: "x", secrets: ["db"], configs: ["app"] } },
      secrets: { db: { file: "./secrets/db.txt" } },
      configs: { app: { file: "./config/missing.ini" } },
    });
    expect(messages(result)).toEqual([
      "configs.app.file: `./config/missing.ini` is not in the project: add it to the repository or the uploaded folder",
    ]);
    const fixed = prepare({
      services: { web: { image: "x", secrets: ["db"] } },
      secrets: { db: { file: "./secrets/db.txt" } },
    });
    expect(fixed.ok && fixed.document.secrets).toEqual({ db: { file: `${ROOT}/secrets/db.txt` } });
  });

  it("interpolates typed keys before the schema, as docker compose config does", () => {
    const result = prepare(
      {
        services: {
          web: {
            image: "x:${TAG:-1}",
            read_only: "${RO}",
            privileged: "${PRIV:-false}",
            healthcheck: { test: ["CMD", "true"], retries: "${RETRIES}" },
            deploy: { replicas: "${REPLICAS:-2}" },
            init: "${INIT}",
          },
        },
      },
      { variables: { RO: "true", RETRIES: "5", INIT: "yes" } },
    );
    expect(messages(result)).toEqual([]);
    if (result.ok)
      expect(result.document.services).toEqual({
        web: {
          image: "x:1",
          read_only: true,
          privileged: false,
          healthcheck: { test: ["CMD", "true"], retries: 5 },
          deploy: { replicas: 2 },
          init: true,
        },
      });
  });

  it("keeps refusing what it cannot check: `extends.file` and `include` name other files", () => {
    const result = prepare({
      include: ["other.yaml"],
      services: { web: { extends: { file: "common.yaml", service: "base" } } },
    });
    expect(messages(result).join("\n")).toMatch(/include.*not supported[\s\S]*extends from another file/);
  });
});

describe("composeFileDir and composeBuildImageTag", () => {
  it("gives the folder of the compose file and an image tag Docker accepts", () => {
    expect(
      ["compose.yaml", "./compose.yaml", "deploy/compose.yaml", "a/./b/compose.yml"].map(composeFileDir),
    ).toEqual(["", "", "deploy", "a/b"]);
    expect(composeBuildImageTag("shop", "web", "My_App.v2", "0123456789abcdef".repeat(4))).toBe(
      "capstan/shop-web-my-app-v2:0123456789ab",
    );
  });
});

describe("without a project", () => {
  it("refuses relative paths, env files and `name` as before", () => {
    const result = prepareComposeDocument({
      document: { name: "x", services: { web: { image: "x", env_file: ".env", volumes: ["./d:/d"] } } },
      variables: {},
      policy: DEFAULT_HOST_POLICY,
    });
    expect(result.ok ? [] : result.issues.map((i) => formatIssuePath(i.path))).toEqual([
      "name",
      "services.web.env_file",
      "services.web.volumes[0]",
    ]);
  });
});

describe("renderComposeProject with a project", () => {
  it("returns the builds, data folders, env files and notices with the rendered file", () => {
    const spec = composeServiceSpecSchema.parse({
      compose: {
        inline: {
          name: "blog",
          services: {
            app: { build: ".", env_file: ".env", volumes: ["./uploads:/app/uploads", "./nginx.conf:/n:ro"] },
          },
        },
      },
      env: { NODE_ENV: "production" },
      secrets: ["SECRET_KEY"],
    });
    const files = renderComposeProject({
      workflow: "shop",
      service: "web",
      spec,
      secrets: { SECRET_KEY: "k3y" },
      hostPolicy: DEFAULT_HOST_POLICY,
      project: project(["compose.yaml", "Dockerfile", "nginx.conf"]),
    });
    expect(files.builds).toEqual(["app"]);
    expect(files.dataDirs).toEqual([`${DATA}/uploads`]);
    expect(files.envFiles).toEqual({
      ".env": expect.stringContaining("NODE_ENV='production'\nSECRET_KEY='k3y'\n"),
    });
    expect(files.notices).toHaveLength(1);
    expect(files.compose).toContain(`build: ${ROOT}\n`);
    expect(files.compose).toContain(`- ${ROOT}/.env\n`);
    expect(files.compose).not.toContain("name: blog");
  });
});
