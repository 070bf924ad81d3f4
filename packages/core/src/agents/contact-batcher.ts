// Last-contact times of ONLINE hosts, coalesced: every signed agent request (heartbeat, poll,
// events, completion) used to update its Host row in its own statement, and lastSeenAt is indexed
// (status, lastSeenAt), so that was one index-touching write and one commit per request. A quiet
// "still alive" needs no answer from the database, so it is queued here and written for every host
// touched in the last interval in ONE statement. Anything a user sees change (a PENDING or OFFLINE
// host coming ONLINE, health, facts) is still written at once by the request itself.
//
// Durability is the same as before: the per-request update already committed without waiting for
// the WAL flush (soft state, re-sent every heartbeat interval); now a process crash can lose up to
// one interval of touches, far inside the offline window (3 heartbeat intervals). A failed flush
// keeps its touches for the next one; flushAgentContacts() on shutdown writes what is queued and
// makes later touches write through.
import type { Db } from "../db";

export const CONTACT_FLUSH_INTERVAL_MS = 250;
/** After a failed flush (database down or read-only): retry this much later, not every interval. */
const RETRY_AFTER_FAILURE_MS = 5000;

export interface ContactBatcher {
  /** Records that the host was in contact now; written within one interval. */
  touch(hostId: string): void;
  /** Writes every queued touch now (one statement). */
  flush(): Promise<void>;
  /** Touches queued and not yet written. */
  readonly pending: number;
}

type Log = (message: string) => void;

const batchers = new WeakMap<Db, ContactBatcher>();
/** Batchers with queued touches, for the shutdown flush (a WeakMap cannot be walked). */
const withPending = new Set<ContactBatcher>();
let writeThrough = false;
let logFailure: Log = (message) => console.error(message);

/** Where a failed flush is reported (the web app passes its logger). */
export function setContactBatcherLog(log: Log): void {
  logFailure = log;
}

async function writeContacts(db: Db, seen: Map<string, number>): Promise<void> {
  const ids = [...seen.keys()];
  const times = ids.map((id) => seen.get(id)! / 1000);
  // Rows are locked in id order so two replicas flushing overlapping sets cannot deadlock. The
  // time is the request's own (capped at the database's now()), so a flush retried after an outage
  // does not date contacts later than they were; GREATEST keeps the latest of two replicas. A host
  // that went OFFLINE between the request and the flush (its lastSeenAt was already ~3 intervals
  // old) is brought back ONLINE here, as the request itself would have.
  await db.$executeRaw`
    WITH async_commit AS (SELECT set_config('synchronous_commit', 'off', true)),
    v AS (SELECT * FROM unnest(${ids}::uuid[], ${times}::float8[]) AS v(id, seen)),
    locked AS (
      SELECT h.id, LEAST(now(), to_timestamp(v.seen)) AS seen FROM "Host" h JOIN v ON v.id = h.id
      WHERE h.status <> 'REVOKED' ORDER BY h.id FOR UPDATE OF h
    )
    UPDATE "Host" h SET
      "lastSeenAt" = GREATEST(h."lastSeenAt", locked.seen),
      status = CASE WHEN h.status = 'OFFLINE' THEN 'ONLINE'::"HostStatus" ELSE h.status END
    FROM locked, async_commit WHERE h.id = locked.id AND h.status <> 'REVOKED'`;
}

export function createContactBatcher(db: Db, options: { intervalMs?: number } = {}): ContactBatcher {
  const intervalMs = options.intervalMs ?? CONTACT_FLUSH_INTERVAL_MS;
  let queued = new Map<string, number>();
  let timer: NodeJS.Timeout | undefined;
  let inFlight: Promise<void> = Promise.resolve();

  const flushOnce = async (): Promise<void> => {
    if (timer) clearTimeout(timer);
    timer = undefined;
    if (queued.size === 0) return;
    const batch = queued;
    queued = new Map();
    withPending.delete(batcher);
    try {
      await writeContacts(db, batch);
    } catch (error) {
      // Keep them for the next flush (a newer touch of the same host wins).
      for (const [id, at] of batch) if (!queued.has(id)) queued.set(id, at);
      if (timer) clearTimeout(timer);
      timer = undefined;
      schedule(RETRY_AFTER_FAILURE_MS);
      logFailure(`last-contact flush of ${batch.size} hosts failed: ${(error as Error).message}`);
    }
  };

  const schedule = (delayMs = intervalMs) => {
    withPending.add(batcher);
    // Not keeping the process alive for it: shutdown calls flushAgentContacts().
    timer ??= setTimeout(() => void flush(), delayMs).unref();
  };

  // One flush at a time, in order: a later flush never overtakes an earlier one.
  const flush = (): Promise<void> => {
    inFlight = inFlight.then(flushOnce);
    return inFlight;
  };

  const batcher: ContactBatcher = {
    touch(hostId) {
      queued.set(hostId, Date.now());
      schedule();
    },
    flush,
    get pending() {
      return queued.size;
    },
  };
  return batcher;
}

/**
 * Records an ONLINE host's contact: queued on the client's batcher, written at once inside a
 * caller's transaction (which a later flush could not join) or after shutdown began.
 */
export async function touchAgentContact(db: Db, hostId: string): Promise<void> {
  if (writeThrough || !("$transaction" in db)) {
    await writeContacts(db, new Map([[hostId, Date.now()]]));
    return;
  }
  let batcher = batchers.get(db);
  if (!batcher) {
    batcher = createContactBatcher(db);
    batchers.set(db, batcher);
  }
  batcher.touch(hostId);
}

/** Writes every queued touch now; with `{ final: true }` (shutdown) later touches write through. */
export async function flushAgentContacts(options: { final?: boolean } = {}): Promise<void> {
  if (options.final) writeThrough = true;
  await Promise.all([...withPending].map((b) => b.flush()));
}
