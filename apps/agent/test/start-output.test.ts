// `npm start`'s output pieces (scripts/start-output.ts), tested here because the repository's
// scripts have no test runner of their own and the agent is what `npm start` runs beside the web.
import { afterEach, describe, expect, it, vi } from "vitest";
import { runQuietly, startBanner } from "../../../scripts/start-output";

describe("startBanner", () => {
  it("shows the URL, the setup page with its code, and how to stop on a fresh install", () => {
    const text = startBanner({
      url: "http://localhost:3000",
      setupCode: "ABCD-EFGH-JKLM",
      startedIn: "74 s",
    }).join("\n");
    expect(text).toContain("Capstan is running at http://localhost:3000");
    expect(text).toContain("(ready in 74 s)");
    expect(text).toContain("open http://localhost:3000/setup");
    expect(text).toContain("ABCD-EFGH-JKLM");
    expect(text).toContain("Ctrl+C");
  });

  it("points to sign-in once Capstan is set up", () => {
    const text = startBanner({ url: "https://cp.example.com", setupCode: null, startedIn: "3 s" }).join("\n");
    expect(text).toContain("Sign in at https://cp.example.com/signin");
    expect(text).not.toContain("setup code");
  });
});

describe("runQuietly", () => {
  afterEach(() => vi.restoreAllMocks());

  it("keeps a step that works quiet", async () => {
    const write = vi.spyOn(process.stderr, "write").mockImplementation(() => true);
    await runQuietly(
      process.execPath,
      ["-e", "console.log('lots of build output'); console.error('and more')"],
      {
        cwd: process.cwd(),
      },
    );
    expect(write).not.toHaveBeenCalled();
  });

  it("shows everything a failing step printed and names the command", async () => {
    const written: string[] = [];
    vi.spyOn(process.stderr, "write").mockImplementation((chunk) => {
      written.push(String(chunk));
      return true;
    });
    await expect(
      runQuietly(
        process.execPath,
        ["-e", "console.log('compiling'); console.error('Type error: x'); process.exit(3)"],
        {
          cwd: process.cwd(),
          env: { SOME_FLAG: "1" },
        },
      ),
    ).rejects.toThrow(/exited with 3$/);
    expect(written.join("")).toContain("compiling");
    expect(written.join("")).toContain("Type error: x");
  });

  it("passes the extra environment to the step", async () => {
    await expect(
      runQuietly(process.execPath, ["-e", "process.exit(process.env.SOME_FLAG === '1' ? 0 : 5)"], {
        cwd: process.cwd(),
        env: { SOME_FLAG: "1" },
      }),
    ).resolves.toBeUndefined();
  });
});
