// Test-only: reads a Server-Sent Events response as it arrives (live logs, deployment events).
export interface SseMessage {
  event: string;
  data: unknown;
  id?: string;
}

export interface SseReader {
  messages: SseMessage[];
  /** Resolves when `predicate` holds for the messages so far; rejects after `timeoutMs`. */
  until(predicate: (messages: SseMessage[]) => boolean, timeoutMs?: number): Promise<void>;
  /** Resolves when the server ends the stream. */
  done: Promise<void>;
}

export function readSse(response: Response): SseReader {
  const messages: SseMessage[] = [];
  const waiters = new Set<() => void>();
  const decoder = new TextDecoder();
  let buffer = "";
  const reader = response.body!.getReader();
  const done = (async () => {
    try {
      for (;;) {
        const { value, done: end } = await reader.read();
        if (end) break;
        buffer += decoder.decode(value, { stream: true });
        let cut = buffer.indexOf("\n\n");
        while (cut >= 0) {
          const block = buffer.slice(0, cut);
          buffer = buffer.slice(cut + 2);
          const fields = Object.fromEntries(
            block
              .split("\n")
              .filter((l) => l && !l.startsWith(":"))
              .map((l) => [l.slice(0, l.indexOf(":")), l.slice(l.indexOf(":") + 1).trimStart()]),
          );
          if (fields.event)
            messages.push({ event: fields.event, data: JSON.parse(fields.data ?? "null"), id: fields.id });
          cut = buffer.indexOf("\n\n");
        }
        for (const wake of waiters) wake();
      }
    } catch {
      // cancelled by the test
    } finally {
      for (const wake of waiters) wake();
    }
  })();
  let ended = false;
  void done.then(() => {
    ended = true;
  });
  return {
    messages,
    done,
    until(predicate, timeoutMs = 60_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          if (predicate(messages)) {
            waiters.delete(check);
            clearTimeout(timer);
            resolve();
          } else if (ended) {
            waiters.delete(check);
            clearTimeout(timer);
            reject(new Error(`the stream ended first: ${JSON.stringify(messages.slice(-5))}`));
          }
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`timed out; last messages: ${JSON.stringify(messages.slice(-5))}`));
        }, timeoutMs);
        waiters.add(check);
        check();
      });
    },
  };
}

/** The text of every `lines` message so far, in order. */
export function sseLines(messages: SseMessage[]): { stream: string; text: string; priority?: number }[] {
  return messages
    .filter((m) => m.event === "lines")
    .flatMap((m) => m.data as { stream: string; text: string; priority?: number }[]);
}
