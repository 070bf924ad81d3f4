// Reads one secret line from standard input: piped (`echo "$TOKEN" | capstan login ...`), or typed
// at a prompt that does not echo, so the secret lands neither in shell history nor on screen.
import type { Io } from "../main";

export async function readSecretLine(prompt: string, io: Io): Promise<string> {
  const stdin = process.stdin;
  if (!stdin.isTTY) {
    let text = "";
    for await (const chunk of stdin) text += String(chunk);
    return text.split("\n")[0] ?? "";
  }
  io.err(prompt);
  stdin.setRawMode(true);
  stdin.setEncoding("utf8");
  try {
    return await new Promise<string>((resolve, reject) => {
      let line = "";
      const onData = (chunk: string) => {
        for (const char of chunk) {
          if (char === "\r" || char === "\n") return done(() => resolve(line));
          if (char === "\u0003") return done(() => reject(new Error("cancelled")));
          if (char === "\u007f" || char === "\b") line = line.slice(0, -1);
          else line += char;
        }
      };
      const done = (finish: () => void) => {
        stdin.off("data", onData);
        io.err("\n");
        finish();
      };
      stdin.on("data", onData);
      stdin.resume();
    });
  } finally {
    stdin.setRawMode(false);
    stdin.pause();
  }
}
