// Caddy binds a new listening socket (SO_REUSEPORT) for every config it loads, then closes the
// old one. Linux resets the connections still queued on the closed listener (mid-handshake or
// not yet accepted) unless `net.ipv4.tcp_migrate_req` is 1 (Linux 5.14+), which hands them to
// the other listener on the port. Measured here: 40 config loads under 16 clients of fresh HTTPS
// connections reset 7-8 of ~30,000 connections with it at 0, none at 1; the zero-downtime test
// saw the same "connect/read ECONNRESET" at a route switch under load.
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

const TCP_MIGRATE_REQ = "/proc/sys/net/ipv4/tcp_migrate_req";

/**
 * Sets `net.ipv4.tcp_migrate_req=1` in the agent's network namespace (Caddy's: both run on the
 * host network) and, given a sysctl.d folder, keeps it across reboots. Returns why it could not,
 * for the log: routing works without it, with that small window at each reload.
 */
export function migrateQueuedConnections(file = TCP_MIGRATE_REQ, sysctlDir?: string): string | null {
  try {
    if (readFileSync(file, "utf8").trim() !== "1") writeFileSync(file, "1\n");
    if (sysctlDir)
      writeFileSync(
        join(sysctlDir, "60-capstan-ingress.conf"),
        "# Written by capstan-agent: connections queued on a listener Caddy closes at a config\n" +
          "# reload move to its new listener instead of being reset.\nnet.ipv4.tcp_migrate_req = 1\n",
        { mode: 0o644 },
      );
    return null;
  } catch (error) {
    return (
      `could not set net.ipv4.tcp_migrate_req=1 (${(error as Error).message}): a route change may ` +
      "reset a few new connections while Caddy reloads; as root: sysctl -w net.ipv4.tcp_migrate_req=1"
    );
  }
}
