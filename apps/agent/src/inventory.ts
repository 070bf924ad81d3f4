// What else runs on this host, read-only, for the host page: containers outside the Compose
// projects of the services we manage, and running `*.service` units that are not Capstan's. Names
// that do not match the protocol's patterns are left out (and the list says it is incomplete),
// so one odd container name never costs the whole heartbeat. Refreshed at most once a minute and
// sent only when it changed, like facts.
import {
  CONTAINER_NAME_PATTERN,
  IMAGE_REF_PATTERN,
  MAX_UNMANAGED,
  SERVICE_UNIT_PATTERN,
  type Unmanaged,
  type UnmanagedContainer,
  type UnmanagedUnit,
} from "@capstan/protocol";
import type { DockerHost } from "./docker";
import { systemdIsPid1 } from "./facts";
import type { Runtimes, ServiceRef } from "./runtimes/types";
import { localSystemctl, type Systemctl } from "./runtimes/unit-stats";

const REFRESH_MS = 60_000;
const STATE = /^[a-z][a-z-]{0,31}$/;

interface Found<T> {
  items: T[];
  dropped: boolean;
}

function capped<T extends { name: string }>(items: T[], dropped: boolean): Found<T> {
  const sorted = items.sort((a, b) => a.name.localeCompare(b.name));
  return { items: sorted.slice(0, MAX_UNMANAGED), dropped: dropped || sorted.length > MAX_UNMANAGED };
}

export async function unmanagedContainers(
  docker: DockerHost,
  managedProjects: ReadonlySet<string>,
  signal?: AbortSignal,
): Promise<Found<UnmanagedContainer>> {
  const engine = await docker.engine();
  const all = await engine.listContainers({ all: true, abortSignal: signal });
  const items: UnmanagedContainer[] = [];
  let dropped = false;
  for (const c of all) {
    const project = c.Labels?.["com.docker.compose.project"];
    if (project && managedProjects.has(project)) continue;
    const name = (c.Names?.[0] ?? "").replace(/^\//, "");
    if (!CONTAINER_NAME_PATTERN.test(name) || !STATE.test(c.State ?? "")) {
      dropped = true;
      continue;
    }
    items.push({
      name,
      state: c.State,
      ...(c.Image && IMAGE_REF_PATTERN.test(c.Image) ? { image: c.Image } : {}),
      ...(project && CONTAINER_NAME_PATTERN.test(project) ? { project } : {}),
    });
  }
  return capped(items, dropped);
}

export async function unmanagedUnits(
  systemctl: Systemctl,
  signal?: AbortSignal,
): Promise<Found<UnmanagedUnit>> {
  const result = await systemctl(
    ["list-units", "--type=service", "--state=running", "--no-legend", "--plain", "--no-pager"],
    signal,
  );
  if (result.code !== 0) return { items: [], dropped: false };
  const items: UnmanagedUnit[] = [];
  let dropped = false;
  for (const line of result.stdout.split("\n")) {
    // UNIT LOAD ACTIVE SUB DESCRIPTION
    const [name, , , sub] = line.trim().split(/\s+/);
    if (!name || name.startsWith("capstan-")) continue;
    if (!SERVICE_UNIT_PATTERN.test(name) || !STATE.test(sub ?? "")) dropped = true;
    else items.push({ name, state: sub! });
  }
  return capped(items, dropped);
}

export class Inventory {
  private cached: { at: number; json: string; value: Unmanaged } | undefined;
  private sent = "";

  constructor(private readonly systemctl: Systemctl = localSystemctl) {}

  /**
   * The unmanaged list when it differs from the last one the control plane accepted, else
   * undefined. `docker` is null when the Engine is absent or down (no Docker work at all then).
   */
  async changed(
    runtimes: Runtimes,
    managed: readonly (ServiceRef & { kind: keyof Runtimes })[],
    docker: DockerHost | null,
    signal?: AbortSignal,
  ): Promise<Unmanaged | undefined> {
    if (!this.cached || Date.now() - this.cached.at >= REFRESH_MS) {
      // What the runtimes call our services on this host (Compose project names among them).
      const ours = new Set(
        managed
          .flatMap((s) => runtimes[s.kind]?.names?.(s) ?? [runtimes[s.kind]?.label?.(s)])
          .filter((p) => p !== undefined),
      );
      const none: Found<never> = { items: [], dropped: false };
      const [containers, units] = await Promise.all([
        docker ? unmanagedContainers(docker, ours, signal).catch(() => none) : none,
        systemdIsPid1() ? unmanagedUnits(this.systemctl, signal).catch(() => none) : none,
      ]);
      const value = {
        containers: containers.items,
        units: units.items,
        truncated: containers.dropped || units.dropped,
      };
      this.cached = { at: Date.now(), json: JSON.stringify(value), value };
    }
    return this.cached.json === this.sent ? undefined : this.cached.value;
  }

  /** The control plane stored what we sent: send it again only when it changes. */
  accepted(sent: Unmanaged | undefined): void {
    if (sent) this.sent = JSON.stringify(sent);
  }
}
