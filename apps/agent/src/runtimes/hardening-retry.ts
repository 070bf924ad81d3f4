// A directive can also be unusable for this program on this host: a seccomp filter kills a
// process that needs a syscall outside the allowed set (SIGSYS; Node on these hosts), and
// MemoryDenyWriteExecute= kills JIT runtimes (SIGTRAP). On SIGSYS the filter first stays on with
// SystemCallErrorNumber=EPERM (the call fails instead of killing); only if that is not enough,
// or on SIGTRAP, the directive is dropped. Every step is logged, and the saved unit keeps the
// result, so a rollback to this release starts what worked.
import { run } from "../exec";
import type { StepContext } from "./types";

/** A unit's text without `directive=` lines (and the EPERM softening that belongs to a filter). */
function withoutDirective(unit: string, directive: string): string {
  const names = directive === "SystemCallFilter" ? [directive, "SystemCallErrorNumber"] : [directive];
  return unit
    .split("\n")
    .filter((line) => !names.some((name) => line.startsWith(`${name}=`)))
    .join("\n");
}

/** Waits briefly for the main process; names the directive whose signal killed it, if any. */
async function killedByHardening(unit: string, text: string, signal?: AbortSignal): Promise<string | null> {
  const suspects = [
    { directive: "SystemCallFilter", status: "31" },
    { directive: "MemoryDenyWriteExecute", status: "5" },
  ].filter((s) => new RegExp(`^${s.directive}=`, "m").test(text));
  if (!suspects.length) return null;
  for (let i = 0; i < 6; i++) {
    await new Promise((r) => setTimeout(r, 500));
    if (signal?.aborted) return null;
    const show = await run("systemctl", ["show", unit, "--property", "ExecMainCode,ExecMainStatus"], {
      signal,
      timeoutMs: 10_000,
    });
    const code = /ExecMainCode=(\d+)/.exec(show.stdout)?.[1];
    const status = /ExecMainStatus=(\d+)/.exec(show.stdout)?.[1];
    // ExecMainCode 2 = CLD_KILLED, 3 = CLD_DUMPED; the status is then the signal number.
    if (code === "2" || code === "3") return suspects.find((s) => s.status === status)?.directive ?? null;
  }
  return null;
}

/**
 * Installs and (re)starts `unit` from `text` (`install`), softening or dropping a directive that
 * kills the program and starting again; `save` keeps each softened text. Returns the text that
 * runs.
 */
export async function startWithHardeningRetry(
  unit: string,
  text: string,
  install: (text: string) => Promise<void>,
  save: (text: string) => void,
  ctx: StepContext,
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
    const killer = attempt < 3 ? await killedByHardening(unit, text, signal) : null;
    if (!killer) {
      if (restartError) throw restartError;
      return text;
    }
    if (killer === "SystemCallFilter" && !/^SystemCallErrorNumber=/m.test(text)) {
      text = text.replace(/^(SystemCallFilter=.*)$/m, "$1\nSystemCallErrorNumber=EPERM");
      log(
        "warn",
        `systemd: ${unit} was killed by SystemCallFilter= (SIGSYS); keeping the filter with SystemCallErrorNumber=EPERM`,
      );
    } else {
      text = withoutDirective(text, killer);
      log("warn", `systemd: ${unit} was killed by ${killer}= on this host; dropped it and restarting`);
    }
    save(text);
  }
}
