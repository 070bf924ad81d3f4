// Declared health checks (HTTP, TCP, command) and the health gate: poll a probe until it passes
// or the deadline passes. A command check is workflow code: it never runs as the agent, only in
// the service's own sandbox, which its runtime provides (container exec, transient unit), as an
// argument array, never through a shell.
import { connect } from "node:net";
import { liteFetch } from "@capstan/protocol/net/lite-fetch";
import type { HealthCheck } from "@capstan/templates";
import { pause } from "./abort";

export interface CheckResult {
  ok: boolean;
  detail: string;
}

const DEFAULT_TIMEOUT_S = 5;
/** How long a command check may run. */
export const COMMAND_CHECK_TIMEOUT_MS = 30_000;

/** Runs a command check's argv inside the service's sandbox and says whether it exited 0. */
export type CommandSandbox = (argv: readonly string[], signal?: AbortSignal) => Promise<CheckResult>;

export async function runHealthCheck(
  check: HealthCheck,
  sandbox: CommandSandbox,
  signal?: AbortSignal,
): Promise<CheckResult> {
  if ("http" in check) {
    const { url, expectStatus } = check.http;
    const timeout = AbortSignal.timeout((check.http.timeout ?? DEFAULT_TIMEOUT_S) * 1000);
    try {
      const response = await liteFetch(url, {
        signal: signal ? AbortSignal.any([signal, timeout]) : timeout,
        redirect: "manual",
        // Services answer on loopback or the LAN; a check must not become a way to read cloud
        // metadata (169.254.169.254) from the host, directly or through a name.
        addresses: { allowPrivate: true },
      });
      await response.text().catch(() => "");
      return response.status === expectStatus
        ? { ok: true, detail: `GET ${url} -> ${response.status}` }
        : { ok: false, detail: `GET ${url} -> ${response.status}, expected ${expectStatus}` };
    } catch (error) {
      return { ok: false, detail: `GET ${url} failed: ${describe(error)}` };
    }
  }
  if ("tcp" in check) {
    const { host, port } = check.tcp;
    const ms = (check.tcp.timeout ?? DEFAULT_TIMEOUT_S) * 1000;
    return new Promise((resolve) => {
      const socket = connect({ host, port, signal });
      const done = (result: CheckResult) => {
        clearTimeout(timer);
        socket.destroy();
        resolve(result);
      };
      const timer = setTimeout(() => done({ ok: false, detail: `tcp ${host}:${port} timed out` }), ms);
      socket.once("connect", () => done({ ok: true, detail: `tcp ${host}:${port} open` }));
      socket.once("error", (error) => done({ ok: false, detail: `tcp ${host}:${port}: ${describe(error)}` }));
    });
  }
  try {
    return await sandbox(check.command, signal);
  } catch (error) {
    return { ok: false, detail: `${check.command[0]}: ${describe(error)}` };
  }
}

export async function runHealthChecks(
  checks: readonly HealthCheck[],
  sandbox: CommandSandbox,
  signal?: AbortSignal,
): Promise<CheckResult> {
  for (const check of checks) {
    const result = await runHealthCheck(check, sandbox, signal);
    if (!result.ok) return result;
  }
  return { ok: true, detail: checks.length ? "all checks pass" : "no checks declared" };
}

/**
 * Re-runs `probe` until it passes or `deadline` (epoch ms) is reached. Returns the last result,
 * so a failure says what was still wrong when time ran out.
 */
export async function waitUntilHealthy(
  probe: () => Promise<CheckResult>,
  deadline: number,
  signal?: AbortSignal,
  intervalMs = 1000,
  onProgress?: (result: CheckResult) => void,
): Promise<CheckResult> {
  let last: CheckResult = { ok: false, detail: "not checked yet" };
  let lastDetail = "";
  while (true) {
    if (signal?.aborted) return { ok: false, detail: `cancelled; last: ${last.detail}` };
    last = await probe();
    if (last.ok) return last;
    if (last.detail !== lastDetail) {
      lastDetail = last.detail;
      onProgress?.(last);
    }
    const left = deadline - Date.now();
    if (left <= 0) return { ok: false, detail: `deadline passed: ${last.detail}` };
    if (!(await pause(Math.min(intervalMs, left), signal))) continue;
  }
}

function describe(error: unknown): string {
  const e = error as NodeJS.ErrnoException & { cause?: NodeJS.ErrnoException };
  return e.cause?.code ?? e.cause?.message ?? e.code ?? e.message ?? String(error);
}
