// Two units per routed systemd or Nix service whose program reads its port from a variable
// (`portEnv`), so a new release can start beside the running one (a zero-downtime switch,
// switch-release.ts): slot "a" is the plain unit `capstan-<workflow>-<service>.service` on the
// domains' port (services deployed before slots existed run there), slot "b" is
// `capstan-<workflow>-<service>_b.service` on a loopback port the agent picks and remembers.
// Workflow and service names never hold an underscore, so no other service's unit is called
// that. The active slot is recorded in `<service dir>/slot`, as for Compose (compose-slots.ts).
import { readFileSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import { type HealthCheck, PORT_ENV_PATTERN, type ServiceSpec, UNIT_NAME_PATTERN } from "@capstan/templates";
import { writeFileAtomic } from "../state";
import { activeSlot, type Slot } from "./compose-slots";

/** What a release needs to run in a slot: the variable its port is read from and the domains' port. */
export interface PortSettings {
  portEnv: string;
  /** The loopback port the domains target: slot "a" listens there. */
  routed: number;
}

const PORTS_FILE = "slot-ports.json";

/** A release's port settings from its spec, or null when it cannot run in two slots. */
export function portSettings(spec: ServiceSpec): PortSettings | null {
  const unit = "systemd" in spec ? spec.systemd : "nix" in spec ? spec.nix : null;
  const portEnv = unit && "portEnv" in unit ? unit.portEnv : undefined;
  const routed = spec.domains?.[0]?.port;
  if (!portEnv || routed === undefined) return null;
  // Checked again here (the control plane validated it): it becomes a line of a unit file.
  if (!PORT_ENV_PATTERN.test(portEnv))
    throw new Error(`portEnv is refused: must match ${PORT_ENV_PATTERN.source}`);
  return { portEnv, routed };
}

export function slotUnitName(unit: string, slot: Slot): string {
  const name = slot === "a" ? unit : unit.replace(/\.service$/, "_b.service");
  if (!UNIT_NAME_PATTERN.test(name)) throw new Error(`${name} is not a unit name`);
  return name;
}

/** The unit that serves now: the service's active slot. */
export function activeUnit(unit: string, serviceDir: string): string {
  return slotUnitName(unit, activeSlot(serviceDir));
}

interface SavedPorts {
  routed: number;
  b: number;
}

export function slotPorts(serviceDir: string): SavedPorts | null {
  try {
    const saved = JSON.parse(readFileSync(join(serviceDir, PORTS_FILE), "utf8")) as SavedPorts;
    return Number.isInteger(saved.routed) && Number.isInteger(saved.b) ? saved : null;
  } catch {
    return null;
  }
}

/**
 * The loopback port the service listens on now for `port` (a domain's): slot "b"'s own when it
 * is active, else `port` itself. What the ingress dials and the health checks probe.
 */
export function activePort(serviceDir: string, port: number): number {
  if (activeSlot(serviceDir) !== "b") return port;
  const saved = slotPorts(serviceDir);
  return saved && saved.routed === port ? saved.b : port;
}

function bindable(port: number): Promise<number | null> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once("error", () => resolve(null));
    server.listen(port, "127.0.0.1", () => {
      const address = server.address();
      const bound = typeof address === "object" && address ? address.port : null;
      server.close(() => resolve(bound));
    });
  });
}

/**
 * Slot "b"'s port: the one remembered when it is still free on 127.0.0.1, else a new free one
 * (remembered for the next switch and for the ingress).
 */
export async function slotBPort(serviceDir: string, routed: number): Promise<number> {
  const saved = slotPorts(serviceDir);
  let port = saved && saved.b !== routed ? await bindable(saved.b) : null;
  while (port === null || port === routed) port = await bindable(0);
  writeFileAtomic(join(serviceDir, PORTS_FILE), `${JSON.stringify({ routed, b: port })}\n`, 0o600);
  return port;
}

const LOOPBACK = new Set(["127.0.0.1", "localhost", "[::1]", "::1"]);

/** The health checks as they reach a slot on `port`: loopback checks of the domains' port move with it. */
export function checksOnPort(checks: readonly HealthCheck[], routed: number, port: number): HealthCheck[] {
  if (port === routed) return [...checks];
  return checks.map((check) => {
    if ("http" in check) {
      const url = new URL(check.http.url);
      const current = Number(url.port || (url.protocol === "https:" ? 443 : 80));
      if (!LOOPBACK.has(url.hostname) || current !== routed) return check;
      url.port = String(port);
      return { http: { ...check.http, url: url.toString() } };
    }
    if ("tcp" in check && LOOPBACK.has(check.tcp.host) && check.tcp.port === routed)
      return { tcp: { ...check.tcp, port } };
    return check;
  });
}

/**
 * A release's unit text as it runs in a slot: the port variable set after its EnvironmentFile=
 * (env and secrets cannot set it: the workflow validation refuses that), and in slot "b" the
 * dynamic user of slot "a" (`User=` names it), so both copies own the same state directories.
 */
export function slotUnitText(text: string, unit: string, slot: Slot, port: number, portEnv: string): string {
  const lines = text.split("\n").filter((line) => !line.startsWith(`Environment=${portEnv}=`));
  const at = lines.findIndex((line) => line.startsWith("EnvironmentFile="));
  const extra = [`Environment=${portEnv}=${port}`];
  if (slot === "b" && lines.includes("DynamicUser=yes") && !lines.some((l) => l.startsWith("User=")))
    extra.push(`User=${unit.replace(/\.service$/, "")}`);
  if (at < 0) throw new Error(`${unit}: the unit has no EnvironmentFile= line`);
  lines.splice(at + 1, 0, ...extra);
  return lines.join("\n");
}
