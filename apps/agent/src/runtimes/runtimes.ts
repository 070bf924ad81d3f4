// The runtimes of this agent, one per service kind: the only place that knows which class runs
// which kind (the job runner, heartbeats, reconcile and `status` look them up by kind).

import { join } from "node:path";
import type { AgentClient } from "@capstan/protocol";
import type { AgentConfig } from "../config";
import type { DockerHost } from "../docker";
import type { StateStore } from "../state";
import { artifactSource } from "./artifacts";
import { BundleCache } from "./bundles";
import { ComposeRuntime } from "./compose";
import { NixRuntime } from "./nix";
import { SystemdRuntime } from "./systemd";
import type { Runtimes } from "./types";

export function createRuntimes(
  config: Pick<AgentConfig, "childEnv" | "unitDir">,
  state: StateStore,
  docker: DockerHost,
  /** Needed to fetch uploaded artifacts and bundles; `status` only probes and passes none. */
  client?: AgentClient,
): Runtimes {
  // One cache for every runtime: a job's services share their bundle.
  const bundles = client && new BundleCache(join(state.dir, "bundles"), client);
  return {
    compose: new ComposeRuntime(state.composeDir, docker, config.childEnv, bundles, config.unitDir),
    systemd: new SystemdRuntime(
      state.systemdDir,
      config.unitDir,
      client && ((artifact) => artifactSource(artifact, client)),
      bundles,
    ),
    nix: new NixRuntime(state.nixDir, config.unitDir, { env: config.childEnv }),
  };
}
