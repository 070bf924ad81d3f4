// The Compose corpus: projects shaped like what well-known self-hosted projects ship (compose file,
// env files, config files, Dockerfiles), each run through prepareComposeDocument in its own
// folder. Each passes the default host policy, or is refused naming exactly the host-policy keys
// its manifest (capstan-corpus.json) lists, and passes once those are given. Where docker-compose
// is installed, a handful are compared with `docker-compose config` of the input.
import { cpSync, mkdirSync, readdirSync, readFileSync, realpathSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { executable, requireComponents } from "@capstan/testkit";
import { afterAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { type ComposeProject, composeBuildImageTag, composeFileDir } from "../src/compose/compose-project";
import { prepareComposeDocument, secretPlaceholders } from "../src/compose/prepare-compose-document";
import { renderComposeProject } from "../src/compose/render-compose-project";
import { DEFAULT_HOST_POLICY, type HostPolicyInput, hostPolicySchema } from "../src/workflow/host-policy";
import { parseWorkflowYaml } from "../src/workflow/parse-workflow-yaml";
import { composeServiceSpecSchema } from "../src/workflow/spec";
import { formatIssuePath } from "../src/workflow/workflow-issue";
import { cleanEnv, inBatches, removeTempDirs, run, tempDir } from "./tools";

const corpusDir = join(import.meta.dirname, "compose-corpus");
const names = readdirSync(corpusDir)
  .filter((n) => statSync(join(corpusDir, n)).isDirectory())
  .sort();
const BUNDLE_SHA = "c0ffee".repeat(10).padEnd(64, "0");

interface Manifest {
  /** The compose file, when not one of the usual names at the root. */
  file?: string;
  env?: Record<string, string>;
  secrets?: string[];
  /** The host policy that allows it; its keys are what the default policy's refusal must name. */
  policy?: HostPolicyInput;
  /** Notices expected (a top-level `name`, replaced images). */
  notices?: number;
  /** Compared with `docker-compose config` of the input. */
  compare?: boolean;
}

const COMPOSE_NAMES = ["compose.yaml", "compose.yml", "docker-compose.yml", "docker-compose.yaml"];

/** Every file and folder under `dir` as a bundle lists them: relative POSIX paths, folders with "/". */
function bundleEntries(dir: string, prefix = ""): string[] {
  return readdirSync(join(dir, prefix), { withFileTypes: true }).flatMap((entry) => {
    const rel = `${prefix}${entry.name}`;
    return entry.isDirectory() ? [`${rel}/`, ...bundleEntries(dir, `${rel}/`)] : [rel];
  });
}

/** Bind sources, env files and build contexts of a rendered document that are still relative. */
function relativePaths(document: Record<string, unknown>): string[] {
  const services = Object.values(document.services as Record<string, Record<string, unknown>>);
  const paths = services.flatMap((svc) => [
    ...((svc.volumes as unknown[] | undefined) ?? []).map((v) =>
      typeof v === "string" ? v.split(":")[0]! : String((v as { source?: string }).source ?? "/"),
    ),
    ...((svc.env_file as string[] | undefined) ?? []),
    ...(svc.build === undefined
      ? []
      : [typeof svc.build === "string" ? svc.build : String((svc.build as { context?: string }).context)]),
  ]);
  return paths.filter((p) => p.startsWith(".") || (p.includes("/") && !p.startsWith("/")));
}

const realPath = (path: string) => {
  try {
    return realpathSync(path);
  } catch {
    return undefined;
  }
};

function load(name: string, root = join(corpusDir, name), dataRoot = `/capstan/data/corpus-${name}`) {
  const manifest = JSON.parse(readFileSync(join(root, "capstan-corpus.json"), "utf8")) as Manifest;
  const file = manifest.file ?? COMPOSE_NAMES.find((f) => bundleEntries(root).includes(f))!;
  const parsed = parseWorkflowYaml(readFileSync(join(root, file), "utf8"), { version: "1.1" });
  if (!parsed.ok) throw new Error(`${name}: ${parsed.issues.map((i) => i.message).join("; ")}`);
  const project: ComposeProject = {
    entries: new Set(bundleEntries(root)),
    dir: composeFileDir(file),
    root,
    dataRoot,
    imageTag: (svc) => composeBuildImageTag("corpus", name, svc, BUNDLE_SHA),
  };
  const document = parsed.parsed.value as Record<string, unknown>;
  return { manifest, file, document, project };
}

function prepare(name: string, policy: HostPolicyInput | undefined) {
  const { manifest, document, project } = load(name);
  return prepareComposeDocument({
    document,
    variables: { ...manifest.env, ...secretPlaceholders(manifest.secrets ?? []) },
    policy: policy ? hostPolicySchema.parse(policy) : DEFAULT_HOST_POLICY,
    project,
    realPath,
  });
}

describe("the Compose corpus", () => {
  it("has at least 30 projects, each with a manifest", () => {
    expect(names.length).toBeGreaterThanOrEqual(30);
  });

  it.each(names)("%s: passes the default policy, or names the keys that allow it", (name) => {
    const { manifest } = load(name);
    const result = prepare(name, undefined);
    const expected = Object.keys(manifest.policy ?? {}).sort();
    if (expected.length === 0) {
      expect(result.ok ? [] : result.issues.map((i) => `${formatIssuePath(i.path)}: ${i.message}`)).toEqual(
        [],
      );
    } else {
      expect(result.ok).toBe(false);
      const issues = result.ok ? [] : result.issues;
      const named = issues.map((i) => /\((allow[A-Za-z]+)\)$/.exec(i.message)?.[1]);
      // Every refusal names a key of the manifest, and every key of the manifest is needed.
      expect({ name, named: [...new Set(named)].sort() }).toEqual({ name, named: expected });
    }
    const allowed = prepare(name, manifest.policy);
    expect(allowed.ok ? [] : allowed.issues.map((i) => `${formatIssuePath(i.path)}: ${i.message}`)).toEqual(
      [],
    );
    if (!allowed.ok) return;
    expect(allowed.notices).toHaveLength(manifest.notices ?? 0);
    // Nothing relative is left for the host to resolve against the wrong folder.
    expect({ name, relative: relativePaths(allowed.document) }).toEqual({ name, relative: [] });
  });
});

const ok = requireComponents("docker-compose checks", executable("/usr/bin/docker-compose"));

interface ConfigService {
  image?: string;
  environment?: Record<string, string>;
  volumes?: string[];
  build?: { context: string; dockerfile?: string };
}

async function composeConfig(file: string, project: string, env: NodeJS.ProcessEnv) {
  const result = await run("docker-compose", ["-f", file, "-p", project, "config"], { env });
  expect(result.stderr).not.toMatch(/ERROR/);
  expect(result.code).toBe(0);
  return parse(result.stdout) as {
    services: Record<string, ConfigService>;
    secrets?: Record<string, { file: string }>;
    configs?: Record<string, { file: string }>;
  };
}

describe.skipIf(!ok)("corpus projects compared with docker-compose config", { timeout: 300_000 }, () => {
  afterAll(removeTempDirs);
  const compared = names.filter((name) => load(name).manifest.compare);

  it("compares at least 5 projects", () => {
    expect(compared.length).toBeGreaterThanOrEqual(5);
  });

  it("renders the same services, images, environment and mounts as the input", async () => {
    await inBatches(compared, 2, async (name) => {
      const tmp = tempDir("capstan-corpus-");
      const root = join(tmp, "project");
      const dataRoot = join(tmp, "data");
      cpSync(join(corpusDir, name), root, { recursive: true });
      const { manifest, file, document, project } = load(name, root, dataRoot);
      const secrets = Object.fromEntries((manifest.secrets ?? []).map((s) => [s, `value-of-${s}`]));
      const files = renderComposeProject({
        workflow: "corpus",
        service: name,
        spec: composeServiceSpecSchema.parse({
          compose: { inline: document },
          env: manifest.env ?? {},
          secrets: manifest.secrets ?? [],
        }),
        secrets,
        hostPolicy: hostPolicySchema.parse(manifest.policy ?? {}),
        project,
        realPath,
      });
      // What the agent does before `up`: generated env files into the project, data folders.
      for (const [path, text] of Object.entries(files.envFiles)) writeFileSync(join(root, path), text);
      for (const dir of files.dataDirs) mkdirSync(dir, { recursive: true });
      const out = join(tmp, "rendered");
      mkdirSync(out);
      writeFileSync(join(out, "compose.yaml"), files.compose);
      writeFileSync(join(out, ".env"), files.env);

      const input = await composeConfig(join(root, file), `corpus-${name}`, {
        ...cleanEnv(),
        ...manifest.env,
        ...secrets,
      });
      const rendered = await composeConfig(join(out, "compose.yaml"), files.project, {
        ...cleanEnv(),
        ...files.processEnv,
      });
      // Data binds of the input land in the project folder; Capstan's in the data folder.
      const mount = (volume: string) => volume.replace(`${dataRoot}/`, `${root}/`);
      expect(Object.keys(rendered.services).sort()).toEqual(Object.keys(input.services).sort());
      expect([name, rendered.secrets, rendered.configs]).toEqual([name, input.secrets, input.configs]);
      for (const [svc, want] of Object.entries(input.services)) {
        const got = rendered.services[svc]!;
        const at = `${name}/${svc}`;
        expect([at, got.image]).toEqual([
          at,
          files.builds.includes(svc) ? project.imageTag(svc) : want.image,
        ]);
        expect([at, got.environment ?? {}]).toEqual([at, want.environment ?? {}]);
        expect([at, (got.volumes ?? []).map(mount).sort()]).toEqual([at, (want.volumes ?? []).sort()]);
        expect([at, got.build]).toEqual([at, want.build]);
      }
    });
  });
});
