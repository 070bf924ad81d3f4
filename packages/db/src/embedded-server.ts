// Serves one PGlite instance to many PostgreSQL clients over TCP.
//
// PGlite has a single session. @electric-sql/pglite-socket 0.2.17 shares it by queueing single
// protocol messages, so a client's Parse/Bind/Execute can interleave with another client's when
// its messages arrive in more than one TCP read (large parameters do), and a Bind then runs
// against someone else's statement; we saw exactly that. Here the unit of scheduling is a
// client's whole batch up to Sync/Query/Flush, and the session stays with that client until
// PGlite answers ReadyForQuery outside a transaction. NOTIFY is fanned out to every client that
// ran LISTEN on the channel, which pglite-socket does not do.
import { createServer, type Server, type Socket } from "node:net";
import type { PGlite } from "@electric-sql/pglite";

const SSL_REQUEST = 80877103;
const GSSENC_REQUEST = 80877104;
const CANCEL_REQUEST = 80877102;
const PROTOCOL_3 = 196608;
// Messages after which a client waits for an answer: Sync, Query, Flush, CopyDone, CopyFail.
const ENDS_BATCH = new Set(["S", "Q", "H", "c", "f"].map((c) => c.charCodeAt(0)));
const TERMINATE = "X".charCodeAt(0);
const READY_FOR_QUERY = "Z".charCodeAt(0);
const NOTIFICATION = "A".charCodeAt(0);
const SYNC = Buffer.from([0x53, 0, 0, 0, 4]);

/** A simple-protocol Query message (PGlite's own exec() would wait for the lock we hold). */
function queryMessage(sql: string): Buffer {
  const text = Buffer.from(`${sql}\0`, "utf8");
  const head = Buffer.alloc(5);
  head.write("Q", 0, "latin1");
  head.writeInt32BE(text.length + 4, 1);
  return Buffer.concat([head, text]);
}

export interface WireServerOptions {
  maxConnections: number;
  /** A client holding the session in a transaction while others wait is cut off after this. */
  idleInTransactionMs: number;
}

interface Batch {
  session: Session;
  messages: Buffer[];
  /** Set for the clean-up after a client went away. */
  cleanup?: boolean;
}

export function errorResponse(severity: "ERROR" | "FATAL", code: string, message: string): Buffer {
  const field = (tag: string, value: string) => Buffer.from(`${tag}${value}\0`, "utf8");
  const body = Buffer.concat([
    field("S", severity),
    field("V", severity),
    field("C", code),
    field("M", message),
    Buffer.from([0]),
  ]);
  const head = Buffer.alloc(5);
  head.write("E", 0, "latin1");
  head.writeInt32BE(body.length + 4, 1);
  return Buffer.concat([head, body]);
}

const LISTEN_STATEMENT = /(?:^|;)\s*(UNLISTEN|LISTEN)\s+("(?:[^"]|"")+"|[A-Za-z_][\w$]*|\*)/gi;

function channelName(token: string): string {
  return token.startsWith('"') ? token.slice(1, -1).replaceAll('""', '"') : token.toLowerCase();
}

class Session {
  closed = false;
  readonly channels = new Set<string>();
  private input: Buffer = Buffer.alloc(0);
  private pending: Buffer[] = [];
  private started = false;
  private output: Buffer = Buffer.alloc(0);
  /** Type of the last complete message sent to this client. */
  lastSent = 0;

  constructor(
    readonly socket: Socket,
    private readonly server: WireServer,
  ) {}

  receive(chunk: Buffer): void {
    this.input = this.input.length ? Buffer.concat([this.input, chunk]) : chunk;
    while (!this.closed) {
      const buf = this.input;
      if (!this.started) {
        if (buf.length < 8) return;
        const length = buf.readInt32BE(0);
        const code = buf.readInt32BE(4);
        if (length === 8 && (code === SSL_REQUEST || code === GSSENC_REQUEST)) {
          this.socket.write("N"); // no TLS on loopback; the client goes on in plain text
          this.input = buf.subarray(8);
          continue;
        }
        // PGlite runs nothing in the background that a cancel could stop.
        if (code === CANCEL_REQUEST) {
          this.close();
          return;
        }
        if (code !== PROTOCOL_3 || length < 8 || length > 10_000) {
          this.fail("08P01", "unsupported startup");
          return;
        }
        if (buf.length < length) return;
        this.started = true;
        this.input = buf.subarray(length);
        this.server.submit({ session: this, messages: [Buffer.from(buf.subarray(0, length))] });
        continue;
      }
      if (buf.length < 5) return;
      const length = buf.readInt32BE(1);
      if (length < 4) {
        this.fail("08P01", "invalid message length");
        return;
      }
      if (buf.length < 1 + length) return;
      const message = buf.subarray(0, 1 + length);
      this.input = buf.subarray(1 + length);
      const type = message[0]!;
      if (type === TERMINATE) {
        this.close();
        return;
      }
      this.trackListen(message);
      this.pending.push(message);
      if (ENDS_BATCH.has(type)) {
        this.server.submit({ session: this, messages: this.pending });
        this.pending = [];
      }
    }
  }

  // LISTEN state lives in the shared session; remember who asked, to route notifications.
  private trackListen(message: Buffer): void {
    const type = String.fromCharCode(message[0]!);
    if (type !== "Q" && type !== "P") return;
    let text = message.subarray(5).toString("utf8");
    if (type === "P") text = text.slice(text.indexOf("\0") + 1);
    text = text.slice(0, text.indexOf("\0"));
    if (!/listen/i.test(text)) return;
    for (const [, verb, token] of text.matchAll(LISTEN_STATEMENT)) {
      if (verb!.toUpperCase() === "LISTEN") this.channels.add(channelName(token!));
      else if (token === "*") this.channels.clear();
      else this.channels.delete(channelName(token!));
    }
  }

  /** Output from PGlite for this client: passed through, except notifications, which are routed. */
  send(chunk: Uint8Array): void {
    this.output = this.output.length ? Buffer.concat([this.output, chunk]) : Buffer.from(chunk);
    let start = 0;
    let offset = 0;
    const buf = this.output;
    while (buf.length - offset >= 5) {
      const end = offset + 1 + buf.readInt32BE(offset + 1);
      if (end > buf.length) break;
      const type = buf[offset]!;
      if (type === NOTIFICATION) {
        if (offset > start) this.write(buf.subarray(start, offset));
        this.server.routeNotification(buf.subarray(offset, end));
        start = end;
      }
      this.lastSent = type;
      offset = end;
    }
    if (offset > start) this.write(buf.subarray(start, offset));
    this.output = Buffer.from(buf.subarray(offset));
  }

  /** True when the client is between commands (PGlite said ReadyForQuery last). */
  get atRest(): boolean {
    return this.lastSent === READY_FOR_QUERY;
  }

  write(data: Uint8Array): void {
    if (!this.closed && this.socket.writable) this.socket.write(data);
  }

  fail(code: string, message: string): void {
    this.write(errorResponse("FATAL", code, message));
    this.close();
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.socket.end();
    this.socket.destroy();
    this.server.release(this);
  }
}

export class WireServer {
  private readonly sessions = new Set<Session>();
  private queue: Batch[] = [];
  private owner: Session | null = null;
  private running = false;
  private idleTimer: NodeJS.Timeout | undefined;
  private server: Server | undefined;

  constructor(
    private readonly db: PGlite,
    private readonly options: WireServerOptions,
  ) {}

  listen(port: number, host: string): Promise<number> {
    const server = createServer((socket) => this.accept(socket));
    this.server = server;
    return new Promise((resolve, reject) => {
      server.once("error", reject);
      server.listen(port, host, () => {
        server.off("error", reject);
        const address = server.address();
        resolve(typeof address === "object" && address ? address.port : port);
      });
    });
  }

  async close(): Promise<void> {
    clearTimeout(this.idleTimer);
    for (const session of this.sessions) session.close();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
    // Let clean-ups (rollback of an open transaction) finish before PGlite is closed.
    while (this.running || this.queue.length) await new Promise((r) => setTimeout(r, 5));
  }

  private accept(socket: Socket): void {
    socket.setNoDelay(true);
    const session = new Session(socket, this);
    socket.on("error", () => session.close());
    socket.on("close", () => session.close());
    if (this.sessions.size >= this.options.maxConnections) {
      session.fail("53300", "sorry, too many clients already");
      return;
    }
    this.sessions.add(session);
    socket.on("data", (chunk: Buffer) => session.receive(chunk));
  }

  submit(batch: Batch): void {
    if (batch.cleanup) this.queue.unshift(batch);
    else this.queue.push(batch);
    if (!this.running) void this.pump();
  }

  release(session: Session): void {
    if (!this.sessions.delete(session)) return;
    this.queue = this.queue.filter((b) => b.session !== session);
    this.submit({ session, messages: [], cleanup: true });
  }

  routeNotification(message: Buffer): void {
    const channelEnd = message.indexOf(0, 9);
    const channel = message.subarray(9, channelEnd).toString("utf8");
    for (const session of this.sessions) if (session.channels.has(channel)) session.write(message);
  }

  private async pump(): Promise<void> {
    this.running = true;
    clearTimeout(this.idleTimer);
    try {
      for (;;) {
        const owner = this.owner;
        const index = owner ? this.queue.findIndex((b) => b.session === owner) : 0;
        if (index < 0 || this.queue.length === 0) break;
        const [batch] = this.queue.splice(index, 1);
        await this.run(batch!);
      }
    } finally {
      this.running = false;
    }
    if (this.owner && this.queue.length > 0) {
      const owner = this.owner;
      this.idleTimer = setTimeout(() => {
        if (this.owner === owner && !this.running) {
          owner.fail(
            "25P03",
            "terminating connection due to idle-in-transaction timeout (others are waiting)",
          );
        }
      }, this.options.idleInTransactionMs);
    }
  }

  private async run(batch: Batch): Promise<void> {
    const { session } = batch;
    if (batch.cleanup) return this.cleanUp(session);
    try {
      await this.db.runExclusive(async () => {
        for (const message of batch.messages) {
          await this.db.execProtocolRawStream(message, { onRawData: (data) => session.send(data) });
        }
      });
    } catch {
      session.fail("XX000", "the embedded database failed to run this command");
    }
    this.owner = this.db.isInTransaction() || !session.atRest ? session : null;
  }

  // A client that left may have left the shared session mid-command or mid-transaction, and
  // LISTENs nobody else wants.
  private async cleanUp(session: Session): Promise<void> {
    if (this.owner !== session && this.owner !== null) {
      this.queue.push({ session, messages: [], cleanup: true }); // after the current owner
      return;
    }
    const discard = () => {};
    await this.db.runExclusive(async () => {
      if (this.owner === session) {
        await this.db.execProtocolRawStream(SYNC, { onRawData: discard });
        if (this.db.isInTransaction()) {
          await this.db.execProtocolRawStream(queryMessage("ROLLBACK"), { onRawData: discard });
        }
      }
      const stillWanted = new Set([...this.sessions].flatMap((s) => [...s.channels]));
      for (const channel of session.channels) {
        if (stillWanted.has(channel)) continue;
        const unlisten = queryMessage(`UNLISTEN "${channel.replaceAll('"', '""')}"`);
        await this.db.execProtocolRawStream(unlisten, { onRawData: discard });
      }
    });
    if (this.owner === session) this.owner = null;
  }
}
