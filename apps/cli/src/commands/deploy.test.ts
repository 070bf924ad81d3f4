// Argument and environment handling of `capstan deploy` / `capstan status` without a control
// plane. Talking to a real one is tested end to end in apps/web (server/api/cli-deploy.test.ts).
import { afterEach, describe, expect, it } from "vitest";
import { capture } from "../../test/capture-io";
import { main } from "../main";
import { EXIT, readApiConfig } from "./api-client";

const saved = { url: process.env.CAPSTAN_URL, token: process.env.CAPSTAN_TOKEN };
afterEach(() => {
  process.env.CAPSTAN_URL = saved.url;
  process.env.CAPSTAN_TOKEN = saved.token;
  if (saved.url === undefined) delete process.env.CAPSTAN_URL;
  if (saved.token === undefined) delete process.env.CAPSTAN_TOKEN;
});

describe("capstan deploy / status arguments", () => {
  it.each([
    [["deploy"], /name a capstan\.yaml or --workflow NAME/],
    [["deploy", "a.yaml", "b.yaml"], /one capstan\.yaml at a time/],
    [["deploy", "a.yaml", "--revision", "3"], /--revision goes with --workflow/],
    [["deploy", "--workflow", "shop", "--revision", "x"], /--revision is a revision number/],
    [["deploy", "--workflow", "shop", "--timeout", "soon"], /--timeout is a whole number/],
    [["deploy", "--frobnicate"], /Unknown option/],
    [["status"], /Usage: capstan status/],
    [["status", "not-an-id"], /"not-an-id" is not a deployment id/],
  ])("%j is a usage error (exit 2)", async (argv, message) => {
    const io = capture();
    expect(await main(argv, io)).toBe(EXIT.USAGE);
    expect(io.stderr).toMatch(message);
  });

  it("says which variable is missing before reading anything else", async () => {
    delete process.env.CAPSTAN_URL;
    process.env.CAPSTAN_TOKEN = "cst_x";
    const io = capture();
    expect(await main(["deploy", "--workflow", "shop"], io)).toBe(EXIT.USAGE);
    expect(io.stderr).toMatch(/set CAPSTAN_URL \(the control plane/);
    expect(io.stderr).not.toMatch(/CAPSTAN_TOKEN/);
  });

  it("accepts http(s) URLs only and trims trailing slashes", () => {
    expect(readApiConfig({ CAPSTAN_URL: "https://c.example.com/base/", CAPSTAN_TOKEN: "t" })).toEqual({
      url: "https://c.example.com/base",
      token: "t",
    });
    expect(() => readApiConfig({ CAPSTAN_URL: "ftp://c", CAPSTAN_TOKEN: "t" })).toThrow(/https:\/\//);
    expect(() => readApiConfig({ CAPSTAN_URL: "not a url", CAPSTAN_TOKEN: "t" })).toThrow(/not a URL/);
    expect(() => readApiConfig({})).toThrow(/CAPSTAN_URL .* and CAPSTAN_TOKEN/);
  });

  it("prints help with the exit codes", async () => {
    const io = capture();
    expect(await main(["deploy", "--help"], io)).toBe(0);
    expect(io.stdout).toMatch(/Exit codes: 0 succeeded .* 3 still running at --timeout/s);
  });
});
