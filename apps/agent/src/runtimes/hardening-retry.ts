// A directive can also be unusable for this program on this host: a seccomp filter kills a
// process that needs a syscall outside the allowed set (SIGSYS; Node on these hosts), and
// MemoryDenyWriteExecute= kills JIT runtimes (SIGTRAP). On SIGSYS the filter first stays on with
// SystemCallErrorNumber=EPERM (the call fails instead of killing); only if that is not enough,
// or on SIGTRAP, the directive is dropped. Every step is logged, and the saved unit keeps the
// result, so a rollback to this release starts what worked.
//
// The next release of the same program starts with what this one needed (carrySoftenings): the
// softenings are kept as the retry's own closed set of steps, never as unit text, so a carried
// step can only ever add `SystemCallErrorNumber=EPERM` or remove the directive it names, and only
// where the new unit has the very line the step was taken against.
import { run } from "../exec";
import type { StepContext } from "./types";

/** One step of the retry: what it did to which directive line of the strict unit. */
export interface Softening {
  directive: "SystemCallFilter" | "MemoryDenyWriteExecute";
  action: "eperm" | "drop";
  /** The directive's whole line the step was taken against (`SystemCallFilter=@system-service`). */
  line: string;
}

const ERRNO_LINE = "SystemCallErrorNumber=EPERM";

/** A unit's text without `directive=` lines (and the EPERM softening that belongs to a filter). */
function withoutDirective(unit: string, directive: string): string {
  const names = directive === "SystemCallFilter" ? [directive, "SystemCallErrorNumber"] : [directive];
  return unit
    .split("\n")
    .filter((line) => !names.some((name) => line.startsWith(`${name}=`)))
    .join("\n");
}

function soften(unit: string, step: Softening): string {
  return step.action === "eperm"
    ? unit.replace(/^(SystemCallFilter=.*)$/m, `$1\n${ERRNO_LINE}`)
    : withoutDirective(unit, step.directive);
}

/** Whether `step` is one the retry itself takes and applies to `unit` as it stands. */
function applies(unit: string, step: Softening): boolean {
  if (typeof step?.line !== "string" || !step.line.startsWith(`${step.directive}=`)) return false;
  const known =
    (step.directive === "SystemCallFilter" && (step.action === "eperm" || step.action === "drop")) ||
    (step.directive === "MemoryDenyWriteExecute" && step.action === "drop");
  const lines = unit.split("\n");
  if (!known || !lines.includes(step.line)) return false;
  return step.action !== "eperm" || !lines.some((l) => l.startsWith("SystemCallErrorNumber="));
}

/**
 * `unit` with the softenings an earlier release of the same program needed, in their order; a
 * step whose directive line differs in `unit` (the workflow changed it) is left out: the new
 * line gets its own check.
 */
export function carrySoftenings(
  unit: string,
  steps: readonly Softening[],
): { unit: string; carried: Softening[] } {
  const carried: Softening[] = [];
  for (const step of steps) {
    if (!applies(unit, step)) continue;
    unit = soften(unit, step);
    carried.push({ directive: step.directive, action: step.action, line: step.line });
  }
  return { unit, carried };
}

/**
 * Watches the main process for up to 3 s after a start; names the directive whose signal killed
 * it, if any. `healthy` ends the watch early ("healthy"): health checks that passed while the
 * process had not been killed mean the hardening let it start (the kill comes with its first
 * syscalls), and waiting on adds nothing but time.
 */
async function killedByHardening(
  unit: string,
  text: string,
  signal?: AbortSignal,
  healthy?: () => Promise<boolean>,
): Promise<Softening["directive"] | "healthy" | null> {
  const suspects = (
    [
      { directive: "SystemCallFilter", status: "31" },
      { directive: "MemoryDenyWriteExecute", status: "5" },
    ] as const
  ).filter((s) => new RegExp(`^${s.directive}=`, "m").test(text));
  if (!suspects.length) return null;
  for (let i = 0; i < 6; i++) {
    await new Promise((r) => setTimeout(r, 500));
    if (signal?.aborted) return null;
    // Asked before the kill check: a pass then counts only if no kill had come by its end.
    const passed = healthy ? await healthy().catch(() => false) : false;
    const show = await run("systemctl", ["show", unit, "--property", "ExecMainCode,ExecMainStatus"], {
      signal,
      timeoutMs: 10_000,
    });
    const code = /ExecMainCode=(\d+)/.exec(show.stdout)?.[1];
    const status = /ExecMainStatus=(\d+)/.exec(show.stdout)?.[1];
    // ExecMainCode 2 = CLD_KILLED, 3 = CLD_DUMPED; the status is then the signal number.
    if (code === "2" || code === "3") return suspects.find((s) => s.status === status)?.directive ?? null;
    if (passed) return "healthy";
  }
  return null;
}

/**
 * Installs and (re)starts `unit` from `text` (`install`), softening or dropping a directive that
 * kills the program and starting again; `save` keeps each softened text with the step taken.
 * `healthy` (one probe of the service's health) may end the kill watch early. Returns the text
 * that runs.
 */
export async function startWithHardeningRetry(
  unit: string,
  text: string,
  install: (text: string) => Promise<void>,
  save: (text: string, step: Softening) => void,
  ctx: StepContext,
  healthy?: () => Promise<boolean>,
): Promise<string> {
  const { log, signal } = ctx;
  for (let attempt = 0; ; attempt++) {
    // When the kill comes before systemd finished starting the unit, `systemctl restart`
    // itself fails ("a fatal signal was delivered"): the same hardening check applies.
    let restartError: unknown;
    try {
      await install(text);
    } catch (error) {
      restartError = error;
    }
    const killer = attempt < 3 ? await killedByHardening(unit, text, signal, healthy) : null;
    if (killer === "healthy")
      log("info", `systemd: ${unit} passed its health checks, not killed by its hardening`);
    if (!killer || killer === "healthy") {
      if (restartError) throw restartError;
      return text;
    }
    const line = text.split("\n").find((l) => l.startsWith(`${killer}=`))!;
    const step: Softening =
      killer === "SystemCallFilter" && !/^SystemCallErrorNumber=/m.test(text)
        ? { directive: killer, action: "eperm", line }
        : { directive: killer, action: "drop", line };
    text = soften(text, step);
    log(
      "warn",
      step.action === "eperm"
        ? `systemd: ${unit} was killed by SystemCallFilter= (SIGSYS); keeping the filter with ${ERRNO_LINE}`
        : `systemd: ${unit} was killed by ${killer}= on this host; dropped it and restarting`,
    );
    save(text, step);
  }
}
