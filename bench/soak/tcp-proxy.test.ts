// The partition fault against real loopback sockets: while partitioned nothing crosses, healing
// drops what was held, and new connections forward again.
import { connect, createServer, type Server } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTcpProxy, type TcpProxy } from "./tcp-proxy";

let echo: Server;
let proxy: TcpProxy;
const received: string[] = [];

beforeAll(async () => {
  echo = createServer((socket) =>
    socket.on("data", (data) => {
      received.push(data.toString());
      socket.write(data);
    }),
  );
  await new Promise<void>((resolve) => echo.listen(0, "127.0.0.1", resolve));
  proxy = await startTcpProxy((echo.address() as { port: number }).port);
});
afterAll(async () => {
  await proxy.close();
  echo.close();
});

function client() {
  const socket = connect(proxy.port, "127.0.0.1");
  const replies: string[] = [];
  let closed = false;
  socket.on("data", (d) => replies.push(d.toString()));
  socket.on("close", () => (closed = true)).on("error", () => {});
  return { socket, replies, closed: () => closed };
}

async function until(what: string, check: () => boolean, ms = 10_000) {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe("soak TCP proxy", () => {
  it("forwards, holds everything while partitioned, drops held connections on heal", async () => {
    const a = client();
    a.socket.write("one");
    await until("the echo", () => a.replies.join("") === "one");

    proxy.partition();
    a.socket.write("two");
    const b = client();
    b.socket.write("three");
    // Give the bytes every chance to cross; none may.
    await new Promise((r) => setTimeout(r, 300));
    expect(received).toEqual(["one"]);
    expect(a.replies.join("")).toBe("one");

    proxy.heal();
    await until("held connections to be dropped", () => a.closed() && b.closed());
    expect(received).toEqual(["one"]);

    const c = client();
    c.socket.write("four");
    await until("the echo after healing", () => c.replies.join("") === "four");
    c.socket.destroy();
  });
});
