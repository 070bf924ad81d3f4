// A loopback TCP proxy in front of one replica, standing in for the network between agents and
// that replica. `partition()` stops forwarding: bytes already in flight and new connections are
// held, nothing reaches either side (as when packets are dropped, not refused). `heal()` drops
// what was held, as a partition longer than TCP's patience leaves dead connections behind; the
// agents reconnect on their own.
import { connect, createServer, type Server, type Socket } from "node:net";

export interface TcpProxy {
  port: number;
  partition(): void;
  heal(): void;
  readonly partitioned: boolean;
  close(): Promise<void>;
}

export async function startTcpProxy(upstreamPort: number): Promise<TcpProxy> {
  let partitioned = false;
  const pairs = new Set<{ client: Socket; upstream: Socket | null }>();
  const server: Server = createServer((client) => {
    const pair = { client, upstream: null as Socket | null };
    pairs.add(pair);
    const drop = () => {
      client.destroy();
      pair.upstream?.destroy();
      pairs.delete(pair);
    };
    client.on("error", drop).on("close", drop);
    if (partitioned) {
      client.pause(); // accepted by the kernel, never forwarded
      return;
    }
    const upstream = connect(upstreamPort, "127.0.0.1");
    pair.upstream = upstream;
    upstream.on("error", drop).on("close", drop);
    client.pipe(upstream);
    upstream.pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  return {
    port,
    get partitioned() {
      return partitioned;
    },
    partition() {
      partitioned = true;
      for (const { client, upstream } of pairs) {
        client.unpipe();
        upstream?.unpipe();
        client.pause();
        upstream?.pause();
      }
    },
    heal() {
      partitioned = false;
      for (const { client, upstream } of [...pairs]) {
        client.destroy();
        upstream?.destroy();
      }
      pairs.clear();
    },
    async close() {
      for (const { client, upstream } of pairs) {
        client.destroy();
        upstream?.destroy();
      }
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
