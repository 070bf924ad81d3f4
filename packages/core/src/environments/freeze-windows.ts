// Deploy windows, said the other way round: weekly freeze windows ("fri 16:00 - mon 08:00") in
// the environment's IANA time zone, during which deploys touching it are refused. Pure: "now" is
// always a parameter, so tests never depend on the clock. Wall-clock times are read through Intl,
// so a window keeps its local hours across daylight saving changes.
import { z } from "zod";
import { parseColumn } from "../columns/parse-column";
import { badRequest } from "../errors";

/** A type, not an interface, so that a list of them is a JSON column value as it is. */
export type FreezeWindow = {
  /** `fri 16:00`: day and 24-hour time, normalised. */
  from: string;
  to: string;
};

const DAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"] as const;
const FULL_DAYS = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"];
const WEEK_MINUTES = 7 * 24 * 60;
const MAX_WINDOWS = 20;
const EXAMPLE = "e.g. fri 16:00 - mon 08:00";
const MOMENT = /^([a-z]{3,9})\s+(\d{1,2}):(\d{2})$/;

/** Minutes since Monday 00:00 of `mon 08:00`, or null when it is not a day and time. */
function minuteOfWeek(text: string): number | null {
  const match = MOMENT.exec(text.trim().toLowerCase());
  if (!match) return null;
  const [, day = "", hours = "", minutes = ""] = match;
  const index = day.length === 3 ? DAYS.indexOf(day as (typeof DAYS)[number]) : FULL_DAYS.indexOf(day);
  const h = Number(hours);
  const m = Number(minutes);
  if (index < 0 || h > 23 || m > 59) return null;
  return index * 1440 + h * 60 + m;
}

function formatMinute(minute: number): string {
  const h = Math.floor((minute % 1440) / 60);
  const m = minute % 60;
  return `${DAYS[Math.floor(minute / 1440)]} ${String(h).padStart(2, "0")}:${String(m).padStart(2, "0")}`;
}

function parseWindow(text: string): FreezeWindow {
  const parts = text.split(/[-–]/);
  const shown = `"${text.trim().slice(0, 80)}"`;
  if (parts.length !== 2)
    throw badRequest(`${shown} is not a freeze window: write FROM - TO as day and 24-hour time, ${EXAMPLE}.`);
  const [from, to] = parts.map((p) => minuteOfWeek(p));
  if (from == null || to == null)
    throw badRequest(
      `${shown} is not a freeze window: days are mon..sun, times 00:00 to 23:59 (${EXAMPLE}).`,
    );
  if (from === to)
    throw badRequest(`${shown} starts when it ends; a window must have a length (${EXAMPLE}).`);
  return { from: formatMinute(from), to: formatMinute(to) };
}

/** Windows typed one a line (or separated by `;`); empty text means no freeze. */
export function parseFreezeWindows(text: string): FreezeWindow[] {
  const lines = text
    .split(/[\n;]+/)
    .map((l) => l.trim())
    .filter(Boolean);
  if (lines.length > MAX_WINDOWS)
    throw badRequest(`Give at most ${MAX_WINDOWS} freeze windows; ${lines.length} were given.`);
  return lines.map(parseWindow);
}

export function formatFreezeWindows(windows: FreezeWindow[]): string {
  return windows.map((w) => `${w.from} - ${w.to}`).join("\n");
}

const windowsSchema = z.array(z.object({ from: z.string(), to: z.string() }));

export function readFreezeWindows(value: unknown): FreezeWindow[] {
  const windows = parseColumn(windowsSchema, value, "an environment's freezeWindows column", "freezeWindows");
  return windows.map((w) => parseWindow(`${w.from} - ${w.to}`));
}

const ZONE = /^[A-Za-z][A-Za-z0-9_+\-/]{0,63}$/;

/** An IANA time zone name that Intl knows, in its canonical spelling (`europe/berlin` -> `Europe/Berlin`). */
export function checkTimeZone(name: string): string {
  const zone = name.trim();
  try {
    if (ZONE.test(zone))
      return new Intl.DateTimeFormat("en-US", { timeZone: zone }).resolvedOptions().timeZone;
  } catch {
    // Not a zone Intl knows: the error below says so.
  }
  throw badRequest(
    `"${zone.slice(0, 64)}" is not a time zone: use an IANA name such as Europe/Berlin, America/New_York or UTC.`,
  );
}

const formatters = new Map<string, Intl.DateTimeFormat>();

function wallClock(timeZone: string): Intl.DateTimeFormat {
  let format = formatters.get(timeZone);
  if (!format) {
    format = new Intl.DateTimeFormat("en-US", {
      timeZone,
      weekday: "short",
      hour: "2-digit",
      minute: "2-digit",
      hourCycle: "h23",
    });
    formatters.set(timeZone, format);
  }
  return format;
}

/** Minutes since Monday 00:00 on the wall clock of `timeZone` at `at`. */
function localMinuteOfWeek(at: Date, timeZone: string): number {
  const parts = Object.fromEntries(
    wallClock(timeZone)
      .formatToParts(at)
      .map((p) => [p.type, p.value]),
  );
  const day = DAYS.indexOf(String(parts.weekday).toLowerCase() as (typeof DAYS)[number]);
  return day * 1440 + Number(parts.hour) * 60 + Number(parts.minute);
}

function contains(window: FreezeWindow, minute: number): boolean {
  const from = minuteOfWeek(window.from)!;
  const to = minuteOfWeek(window.to)!;
  // A window whose end is earlier in the week wraps round Sunday night (fri 16:00 - mon 08:00).
  return from < to ? minute >= from && minute < to : minute >= from || minute < to;
}

function frozenAt(windows: FreezeWindow[], timeZone: string, at: Date): FreezeWindow | undefined {
  const minute = localMinuteOfWeek(at, timeZone);
  return windows.find((w) => contains(w, minute));
}

interface ActiveFreeze {
  /** The window `now` falls in. */
  window: FreezeWindow;
  /** When deploys are allowed again (windows back to back count as one); null: never (the week is covered). */
  endsAt: Date | null;
}

/** 10 minutes, or less when two windows leave a shorter gap between them, so no gap is stepped over. */
function stepMs(windows: FreezeWindow[]): number {
  let step = 10;
  for (const w of windows) {
    const to = minuteOfWeek(w.to)!;
    for (const next of windows) {
      const gap = (minuteOfWeek(next.from)! - to + WEEK_MINUTES) % WEEK_MINUTES;
      if (gap > 0) step = Math.min(step, gap);
    }
  }
  return step * 60_000;
}

/** The freeze `now` falls in, if any, and when it ends. */
export function findActiveFreeze(windows: FreezeWindow[], timeZone: string, now: Date): ActiveFreeze | null {
  const window = frozenAt(windows, timeZone, now);
  if (!window) return null;
  // Walk forward in steps to the first instant outside every window, then narrow it to the
  // minute: stepping on real instants (not wall-clock sums) makes DST changes fall out right.
  const start = Math.floor(now.getTime() / 60_000) * 60_000;
  const step = stepMs(windows);
  let frozen = start;
  for (let at = start + step; at <= start + WEEK_MINUTES * 60_000 + step; at += step) {
    if (frozenAt(windows, timeZone, new Date(at))) {
      frozen = at;
      continue;
    }
    let open = at;
    while (open - frozen > 60_000) {
      const mid = frozen + Math.floor((open - frozen) / 120_000) * 60_000;
      if (frozenAt(windows, timeZone, new Date(mid))) frozen = mid;
      else open = mid;
    }
    return { window, endsAt: new Date(open) };
  }
  return { window, endsAt: null };
}

/** `Mon 7 Dec 08:00 (Europe/Berlin)`: when a freeze ends, on the environment's wall clock. */
export function formatLocalTime(at: Date, timeZone: string): string {
  const text = new Intl.DateTimeFormat("en-GB", {
    timeZone,
    weekday: "short",
    day: "numeric",
    month: "short",
    hour: "2-digit",
    minute: "2-digit",
    hourCycle: "h23",
  }).format(at);
  return `${text.replace(",", "")} (${timeZone})`;
}
