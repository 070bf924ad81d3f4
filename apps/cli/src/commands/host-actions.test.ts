// Argument handling of the day-2 commands (services, start|stop|restart|reload, undeploy, run)
// without a control plane. Against a real one, with real agents on a Docker host and a systemd
// host, they are tested end to end in apps/web (server/service-actions.test.ts).
import { afterEach, describe, expect, it } from "vitest";
import { capture } from "../../test/capture-io";
import { main } from "../main";
import { EXIT } from "./api-client";
import { parseServiceRef } from "./host-actions";

const saved = process.env.CAPSTAN_URL;
afterEach(() => {
  if (saved === undefined) delete process.env.CAPSTAN_URL;
  else process.env.CAPSTAN_URL = saved;
});

describe("capstan services / actions / undeploy / run arguments", () => {
  it.each([
    [["services"], /name one host/],
    [["services", "a", "b"], /name one host/],
    [["stop"], /name one WORKFLOW\/SERVICE/],
    [["stop", "shop"], /WORKFLOW\/SERVICE/],
    [["restart", "Shop/web", "--host", "h"], /is not WORKFLOW\/SERVICE/],
    [["start", "shop/web"], /--host HOST is required/],
    [["reload", "shop/web", "--host", "h", "--timeout", "soon"], /--timeout is a whole number/],
    [["undeploy", "shop"], /--host HOST is required/],
    [["undeploy", "shop", "--host", "h", "--delete-volumes"], /--delete-volumes needs --confirm shop/],
    [["undeploy", "shop", "--host", "h", "--confirm", "shop"], /--confirm goes with --delete-volumes/],
    [["undeploy", "../etc", "--host", "h"], /name one WORKFLOW/],
    [["run", "shop/web", "--host", "h"], /give the command after `--`/],
    [["run", "shop/web", "--host", "h", "--"], /give the command after `--`/],
    [["run", "shop/web", "--", "ls"], /--host HOST is required/],
    [["run", "shop/web", "--host", "h", "--timeout", "7200", "--", "ls"], /from 1 to 3600/],
    [["run", "shop/web", "--host", "h", "--", ...new Array(65).fill("x")], /at most 64 arguments/],
    [["run", "shop/web", "--host", "h", "--privileged", "--", "ls"], /Unknown option '--privileged'/],
  ])("%j is a usage error (exit 2)", async (argv, message) => {
    const io = capture();
    expect(await main(argv, io)).toBe(EXIT.USAGE);
    expect(io.stderr).toMatch(message);
  });

  it("passes every word after `--` on as one argument, options included", async () => {
    // Valid arguments get as far as the configuration check: nothing after `--` was parsed.
    delete process.env.CAPSTAN_URL;
    const io = capture();
    const code = await main(["run", "shop/web", "--host", "h", "--", "sh", "--privileged", "-c", "a\nb"], io);
    expect(code).toBe(EXIT.USAGE);
    expect(io.stderr).toContain("CAPSTAN_URL");
  });

  it("reads WORKFLOW/SERVICE strictly", () => {
    expect(parseServiceRef("shop/web")).toEqual({ workflow: "shop", service: "web" });
    for (const bad of [undefined, "shop", "shop/web/x", "/web", "shop/", "shop/../x", "sh op/web"])
      expect(typeof parseServiceRef(bad)).toBe("string");
  });

  it("prints help for each command", async () => {
    for (const command of ["services", "start", "stop", "restart", "reload", "undeploy", "run"]) {
      const io = capture();
      expect(await main([command, "--help"], io)).toBe(0);
      expect(io.stdout).toContain(`Usage: capstan ${command}`);
    }
  });
});
