import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { executable, requireComponents } from "@capstan/testkit";
import { afterAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { cleanEnv, INJECTION_CORPUS, inBatches, REFUSED_CORPUS, run, tempDir } from "../../test/tools";
import { DEFAULT_HOST_POLICY } from "../workflow/host-policy";
import { composeServiceSpecSchema } from "../workflow/spec";
import { validateComposeDocument } from "./compose-schema";
import { renderComposeDocument, renderComposeProject } from "./render-compose-project";

const corpusDir = join(import.meta.dirname, "../../test-data/compose");
const corpus = readdirSync(corpusDir).filter((f) => f.endsWith(".yaml"));

describe("renderComposeProject", () => {
  it("renders the document, a .env with env and secrets, and the project name", () => {
    const spec = composeServiceSpecSchema.parse({
      compose: {
        inline: {
          services: {
            web: { image: "nginx:1.27", environment: { PASSWORD: "${DB_PASSWORD}", MODE: "yes" } },
          },
        },
      },
      env: { PORT: 8080, GREETING: "it's ${me}" },
      secrets: ["DB_PASSWORD"],
    });
    const files = renderComposeProject({
      workflow: "shop",
      service: "web",
      spec,
      secrets: { DB_PASSWORD: "s3cr%t" },
      hostPolicy: DEFAULT_HOST_POLICY,
    });
    expect(files.project).toBe("capstan-shop-web");
    expect(files.compose).toMatchSnapshot();
    expect(files.env).toMatchSnapshot();
    expect(files.processEnv).toEqual({ GREETING: "it's ${me}" });
  });

  it("refuses a secret without a value and values with newlines", () => {
    const spec = composeServiceSpecSchema.parse({
      compose: { inline: { services: { a: { image: "x" } } } },
      secrets: ["A"],
    });
    expect(() =>
      renderComposeProject({
        workflow: "w",
        service: "s",
        spec,
        secrets: {},
        hostPolicy: DEFAULT_HOST_POLICY,
      }),
    ).toThrow(/secret A has no value/);
    for (const bad of REFUSED_CORPUS) {
      expect(() =>
        renderComposeProject({
          workflow: "w",
          service: "s",
          spec,
          secrets: { A: bad },
          hostPolicy: DEFAULT_HOST_POLICY,
        }),
      ).toThrow(/newline|NUL/);
    }
  });

  it("has a corpus of at least 15 real-world Compose files that the official schema accepts", () => {
    expect(corpus.length).toBeGreaterThanOrEqual(15);
    for (const file of corpus) {
      const doc = parse(readFileSync(join(corpusDir, file), "utf8"), { merge: true, version: "1.1" });
      expect({ file, issues: validateComposeDocument(doc) }).toEqual({ file, issues: [] });
    }
  });
});

const ok = requireComponents("docker-compose checks", executable("/usr/bin/docker-compose"));

describe.skipIf(!ok)("rendered Compose projects checked by docker-compose", { timeout: 120_000 }, () => {
  const dirs: string[] = [];
  afterAll(async () => {
    const { rm } = await import("node:fs/promises");
    await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
  });

  const compose = (dir: string, file: string, args: string[]) =>
    run(
      "docker-compose",
      ["--project-name", "capstan-test", "--project-directory", dir, "-f", join(dir, file), ...args],
      {
        cwd: dir,
        env: cleanEnv(),
      },
    );

  it("docker-compose config of every corpus file equals that of its rendering", async () => {
    const results = await inBatches(corpus, 4, async (file) => {
      const dir = tempDir();
      dirs.push(dir);
      const source = readFileSync(join(corpusDir, file), "utf8");
      writeFileSync(join(dir, "input.yaml"), source);
      writeFileSync(
        join(dir, "output.yaml"),
        renderComposeDocument(parse(source, { merge: true, version: "1.1" })),
      );
      // `config` exits non-zero exactly when `config -q` would; one call per file gives both.
      const [input, output] = await Promise.all([
        compose(dir, "input.yaml", ["config"]),
        compose(dir, "output.yaml", ["config"]),
      ]);
      return { file, input, output };
    });
    for (const { file, input, output } of results) {
      expect({
        file,
        code: input.code,
        stderr: input.stderr
          .split("\n")
          .filter((l) => !/variable is not set/.test(l))
          .join(""),
      }).toEqual({ file, code: 0, stderr: "" });
      expect({ file, config: output.stdout }).toEqual({ file, config: input.stdout });
      expect({ file, code: output.code }).toEqual({ file, code: 0 });
    }
  });

  it("keeps injection strings inside Compose documents inert: same config, no extra key or service", async () => {
    const values = [...INJECTION_CORPUS, "multi\nline: value\nservices:\n  evil:\n    image: x"];
    const document = {
      services: {
        probe: {
          image: "capstan-busybox:test",
          command: values.map((v) => v.replaceAll("$", "$$$$")),
          environment: Object.fromEntries(values.map((v, i) => [`V${i}`, v.replaceAll("$", "$$$$")])),
          labels: Object.fromEntries(values.map((v, i) => [`dev.capstan.l${i}`, v.replaceAll("$", "$$$$")])),
        },
      },
    };
    const dir = tempDir();
    dirs.push(dir);
    writeFileSync(join(dir, "compose.yaml"), renderComposeDocument(document));
    const result = await compose(dir, "compose.yaml", ["config"]);
    expect(result.stderr).toBe("");
    const config = parse(result.stdout) as {
      services: Record<
        string,
        { command: string[]; environment: Record<string, string>; labels: Record<string, string> }
      >;
    };
    expect(Object.keys(config.services)).toEqual(["probe"]);
    const probe = config.services.probe!;
    const unescapeDollars = (v: unknown) => String(v ?? "").replaceAll("$$", "$");
    expect(probe.command.map(unescapeDollars)).toEqual(values);
    // docker-compose sorts environment keys, so compare by name.
    expect(
      Object.fromEntries(Object.entries(probe.environment).map(([k, v]) => [k, unescapeDollars(v)])),
    ).toEqual(Object.fromEntries(values.map((v, i) => [`V${i}`, v])));
    expect(Object.keys(probe.labels)).toHaveLength(values.length);
    expect(existsSync("/tmp/capstan-injected")).toBe(false);
  });

  it("reads every injection value back byte-exact from the rendered .env, with no extra key or service", async () => {
    const values: Record<string, string> = {};
    INJECTION_CORPUS.forEach((v, i) => {
      values[`V${i}`] = v;
    });
    const environment = Object.fromEntries(Object.keys(values).map((k) => [k, `\${${k}}`]));
    const spec = composeServiceSpecSchema.parse({
      compose: { inline: { services: { probe: { image: "capstan-busybox:test", environment } } } },
      env: values,
    });
    const files = renderComposeProject({
      workflow: "inject",
      service: "probe",
      spec,
      secrets: {},
      hostPolicy: DEFAULT_HOST_POLICY,
    });
    const dir = tempDir();
    dirs.push(dir);
    writeFileSync(join(dir, "compose.yaml"), files.compose);
    writeFileSync(join(dir, ".env"), files.env);
    const result = await compose(dir, "compose.yaml", ["config"]);
    expect(result.stderr).toBe("");
    const config = parse(result.stdout) as {
      services: Record<string, { environment: Record<string, string> }>;
    };
    expect(Object.keys(config.services)).toEqual(["probe"]);
    // `config` re-escapes `$` as `$$` in its output so the printed file stays valid Compose.
    const got = Object.fromEntries(
      Object.entries(config.services.probe!.environment).map(([k, v]) => [
        k,
        String(v ?? "").replaceAll("$$", "$"),
      ]),
    );
    expect(got).toEqual(values);
    expect(existsSync("/tmp/capstan-injected")).toBe(false);
  });
});
