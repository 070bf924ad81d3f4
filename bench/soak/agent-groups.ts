// The soak's side of the simulated agents: one child process per group of agents (agent-group.ts),
// supervised as a ProcessSet.
import { spawn } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { AgentGroupConfig, GroupMessage } from "./agent-group";
import { ProcessSet } from "./process-set";

const ENTRY = fileURLToPath(new URL("./agent-group.ts", import.meta.url));

export class AgentGroups extends ProcessSet {
  constructor(dir: string, configs: Omit<AgentGroupConfig, "journal">[], log: (message: string) => void) {
    super(
      "agent group",
      configs.length,
      (group, journal) => {
        const configPath = join(dir, `group-${group}.json`);
        // The agents' private keys: readable by this user only, deleted with the run's folder.
        writeFileSync(configPath, JSON.stringify({ ...configs[group], journal }), { mode: 0o600 });
        return spawn(process.execPath, ["--import", "tsx", ENTRY, configPath], {
          stdio: ["ignore", "inherit", "inherit", "ipc"],
        });
      },
      (group, incarnation) => join(dir, `journal-${incarnation}-g${group}.ndjson`),
      log,
    );
  }

  send(group: number, message: GroupMessage): void {
    const child = this.child(group);
    if (child?.connected) child.send(message);
  }
}
