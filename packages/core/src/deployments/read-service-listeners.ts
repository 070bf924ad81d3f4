// Where a revision's services listen, for the deployment page: the ports a Compose document
// publishes, the ports a systemd/Nix service's health checks probe (its unit declares none), and
// the `domains` a service lists once the spec has them (issue 15). Pure: reads the stored spec.
import type { WorkflowSpec } from "@capstan/templates";

export interface ServiceListeners {
  service: string;
  /** e.g. "127.0.0.1:8080 → 80/tcp", "port 9000 (health check)". */
  ports: string[];
  domains: string[];
  /** Said when the ports cannot be read from the spec (a Compose file in the project's files). */
  note: string | null;
}

export function readServiceListeners(spec: WorkflowSpec | null): ServiceListeners[] {
  if (!spec) return [];
  return Object.entries(spec.services).map(([service, s]) => {
    const record = s as Record<string, unknown>;
    const domains = stringsOf(record.domains);
    if ("compose" in s) {
      if (!s.compose.inline)
        return { service, ports: [], domains, note: `ports are in the project's ${s.compose.file}` };
      const services = (s.compose.inline.services ?? {}) as Record<string, { ports?: unknown }>;
      const ports = Object.values(services).flatMap((c) =>
        Array.isArray(c?.ports) ? c.ports.map(describePort) : [],
      );
      return { service, ports: ports.filter((p): p is string => p !== null), domains, note: null };
    }
    const ports = s.healthChecks.flatMap((check) => {
      if ("tcp" in check) return [`port ${check.tcp.port} (health check)`];
      if ("http" in check) {
        const url = new URL(check.http.url);
        return [`port ${url.port || (url.protocol === "https:" ? "443" : "80")} (health check)`];
      }
      return [];
    });
    return { service, ports: [...new Set(ports)], domains, note: null };
  });
}

/** Compose's short ("127.0.0.1:8080:80/tcp") and long ({ target, published, host_ip }) syntax. */
function describePort(port: unknown): string | null {
  if (typeof port === "number") return `${port}/tcp`;
  if (typeof port === "string") {
    const [mapping, protocol = "tcp"] = port.split("/");
    const parts = (mapping ?? "").split(":");
    const target = parts.pop();
    const published = parts.join(":");
    return published ? `${published} → ${target}/${protocol}` : `${target}/${protocol} (any host port)`;
  }
  if (port && typeof port === "object") {
    const p = port as { target?: unknown; published?: unknown; host_ip?: unknown; protocol?: unknown };
    const published = [p.host_ip, p.published].filter((v) => v !== undefined && v !== "").join(":");
    const target = `${String(p.target)}/${typeof p.protocol === "string" ? p.protocol : "tcp"}`;
    return published ? `${published} → ${target}` : `${target} (any host port)`;
  }
  return null;
}

function stringsOf(value: unknown): string[] {
  if (!Array.isArray(value)) return [];
  return value.flatMap((d) =>
    typeof d === "string"
      ? [d]
      : d && typeof d === "object" && typeof (d as { host?: unknown }).host === "string"
        ? [(d as { host: string }).host]
        : [],
  );
}
