// What runs is what was checked: the rendered compose.yaml, run by the real docker-compose on the
// real Docker Engine, gives the container exactly the interpolated values the policy saw. A value
// holding `$HOME` or `${HOME}` arrives literally, although the compose process has HOME set and
// the .env is passed as well (docker-compose would have substituted them before).
import { randomBytes } from "node:crypto";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import {
  composeContainers,
  dockerEngine,
  dockerImage,
  dockerOk,
  executable,
  requireComponents,
} from "@capstan/testkit";
import { afterAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { cleanEnv, removeTempDirs, run, tempDir } from "../../test/tools";
import { DEFAULT_HOST_POLICY } from "../workflow/host-policy";
import { composeServiceSpecSchema } from "../workflow/spec";
import { renderComposeProject } from "./render-compose-project";

const ok = requireComponents(
  "rendered Compose run by docker-compose",
  executable("/usr/bin/docker-compose"),
  dockerEngine(),
  dockerImage("capstan-busybox:test"),
);

describe.skipIf(!ok)("a rendered Compose project on the real Docker Engine", { timeout: 240_000 }, () => {
  const dir = tempDir();
  const project = `capstan-tpl-${randomBytes(4).toString("hex")}`;
  const compose = (args: string[]) =>
    run(
      "docker-compose",
      ["--project-name", project, "--project-directory", dir, "-f", join(dir, "compose.yaml")].concat([
        "--env-file",
        join(dir, ".env"),
        ...args,
      ]),
      { cwd: dir, env: cleanEnv() },
    );
  afterAll(async () => {
    await compose(["down", "--volumes", "--timeout", "1"]);
    removeTempDirs();
  });

  it("runs the checked values: literal $ stays literal, defaults and types are applied", async () => {
    const literal = "$HOME and ${HOME} and $$ and $(id)";
    const spec = composeServiceSpecSchema.parse({
      compose: {
        inline: {
          services: {
            probe: {
              image: "capstan-busybox:test",
              command: ["sleep", "600"],
              read_only: "${RO}",
              environment: { LITERAL: "${LITERAL}", MODE: "${MODE:-from-default}", ESCAPED: "$${HOME}" },
            },
          },
        },
      },
      env: { LITERAL: literal, RO: "true" },
    });
    const files = renderComposeProject({
      workflow: "tpl",
      service: "probe",
      spec,
      secrets: {},
      hostPolicy: DEFAULT_HOST_POLICY,
    });
    writeFileSync(join(dir, "compose.yaml"), files.compose);
    writeFileSync(join(dir, ".env"), files.env);

    const config = await compose(["config"]);
    expect(config.stderr).toBe("");
    const service = (parse(config.stdout) as { services: Record<string, Record<string, unknown>> }).services
      .probe!;
    expect(service.read_only).toBe(true);
    // `config` prints `$` re-escaped as `$$` so its own output stays valid Compose.
    const environment = service.environment as Record<string, string>;
    expect(environment.LITERAL!.replaceAll("$$", "$")).toBe(literal);

    const up = await compose(["up", "-d"]);
    expect(up.code, up.stderr).toBe(0);
    const [id] = await composeContainers(project);
    expect(id).toBeDefined();
    const printed = await dockerOk(["exec", id!, "env"]);
    const seen = Object.fromEntries(
      printed.split("\n").map((line) => [line.split("=")[0], line.slice(line.indexOf("=") + 1)]),
    );
    expect({ LITERAL: seen.LITERAL, MODE: seen.MODE, ESCAPED: seen.ESCAPED }).toEqual({
      LITERAL: literal,
      MODE: "from-default",
      ESCAPED: "${HOME}",
    });
    const inspect = JSON.parse(await dockerOk(["inspect", id!])) as {
      HostConfig: { ReadonlyRootfs: boolean };
    }[];
    expect(inspect[0]!.HostConfig.ReadonlyRootfs).toBe(true);
  });
});
