import { createHash, randomBytes } from "node:crypto";
import { writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { createServer as createHttpsServer } from "node:https";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import {
  dockerImage,
  executable,
  makeTestCertificate,
  requireComponents,
  SYSTEMD_HOST_IMAGE,
  systemdHostRunArgs,
} from "@capstan/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { cleanEnv, removeTempDirs, run, tempDir } from "../../test/tools";
import { DEFAULT_HOST_POLICY, hostPolicySchema } from "../workflow/host-policy";
import { renderAgentCompose } from "./render-agent-compose";
import { renderAgentUnit } from "./render-agent-unit";
import { renderInstallScript } from "./render-install-script";

const SHA = "b".repeat(64);
const base = { url: "https://capstan.example.com", enrollmentToken: "tok_abcdefgh123", sha256: { x64: SHA } };

describe("renderInstallScript", () => {
  it("renders the inputs as single-quoted constants", () => {
    const script = renderInstallScript({ ...base, hostName: "web-1", labels: "role=web" });
    expect(script).toContain("CAPSTAN_URL='https://capstan.example.com'\n");
    expect(script).toContain("TOKEN='tok_abcdefgh123'\n");
    expect(script).toContain(`SHA256_X64='${SHA}'\n`);
    expect(script).toContain("/api/agent/v1/agent-binary?$QUERY");
    expect(script).toContain(`QUERY="arch=$ARCH"`);
    expect(script).toContain(renderAgentUnit());
  });

  it("refuses inputs that could reach the shell", () => {
    for (const url of [
      "https://x.example/$(touch /tmp/x)",
      "https://x.example/`id`",
      "https://x.example/a b",
      "ftp://x",
      "https://x.example/'",
    ])
      expect(() => renderInstallScript({ ...base, url })).toThrow(/url/);
    for (const enrollmentToken of ["a'b; rm -rf /", "--token=x\ny", "short"])
      expect(() => renderInstallScript({ ...base, enrollmentToken })).toThrow(/token/);
    expect(() => renderInstallScript({ ...base, hostName: "../etc" })).toThrow(/host name/);
    expect(() => renderInstallScript({ ...base, labels: "a=b;c" })).toThrow(/labels/);
    expect(() => renderInstallScript({ ...base, sha256: { x64: "zz" } })).toThrow(/sha256/);
  });
});

describe("renderAgentCompose", () => {
  it("keeps the token out of the Compose file and uses the host network and Docker socket", () => {
    const { compose, env } = renderAgentCompose({
      url: "https://c.example",
      image: "capstan/agent:0.1.0",
      hostName: "edge-1",
      enrollmentToken: "tok_abcdefgh123",
    });
    const doc = parse(compose) as {
      services: Record<
        string,
        { network_mode: string; volumes: string[]; environment: Record<string, string> }
      >;
    };
    expect(compose).not.toContain("tok_abcdefgh123");
    expect(env).toBe("CAPSTAN_ENROLLMENT_TOKEN='tok_abcdefgh123'\n");
    expect(doc.services["capstan-agent"]!.network_mode).toBe("host");
    expect(doc.services["capstan-agent"]!.volumes).toContain("/var/run/docker.sock:/var/run/docker.sock");
    expect(doc.services["capstan-agent"]!.environment.CAPSTAN_URL).toBe("https://c.example");
  });
});

const lint = requireComponents(
  "install script lint",
  executable("/usr/bin/shellcheck"),
  executable("/bin/sh"),
  executable("/usr/bin/systemd-analyze"),
);

describe.skipIf(!lint)(
  "install script and agent unit checked by sh -n, shellcheck and systemd-analyze",
  () => {
    afterAll(removeTempDirs);

    it("passes sh -n and shellcheck", async () => {
      const dir = tempDir();
      const file = join(dir, "install.sh");
      writeFileSync(
        file,
        renderInstallScript({
          ...base,
          sha256: { x64: SHA, arm64: SHA },
          hostName: "web-1",
          labels: "role=web,env=prod",
        }),
      );
      const syntax = await run("sh", ["-n", file]);
      expect(syntax).toMatchObject({ code: 0, stderr: "" });
      const check = await run("shellcheck", ["-s", "sh", "-S", "style", file]);
      expect({ code: check.code, out: check.stdout }).toEqual({ code: 0, out: "" });
    });

    it("renders an agent unit that systemd-analyze verify accepts", async () => {
      const dir = tempDir();
      const file = join(dir, "capstan-agent.service");
      writeFileSync(file, renderAgentUnit({ exec: ["/usr/bin/node", join(dir, "agent.cjs"), "run"] }));
      const verify = await run("systemd-analyze", ["verify", file]);
      expect({
        code: verify.code,
        out: verify.stderr.split("\n").filter((l) => l.includes("capstan-agent")),
      }).toEqual({ code: 0, out: [] });
    });
  },
);

const host = requireComponents("install script on a real systemd host", dockerImage(SYSTEMD_HOST_IMAGE));

describe.skipIf(!host)("install script on a real systemd host", { timeout: 120_000 }, () => {
  const container = `capstan-templates-install-${randomBytes(4).toString("hex")}`;
  const fakeAgent = '#!/bin/sh\nif [ "$1" = version ]; then echo 0.0.0-test; exit 0; fi\nexec sleep 100000\n';
  const sha = createHash("sha256").update(fakeAgent).digest("hex");
  const fakeBundle = 'if (process.argv[2] === "run") setInterval(() => {}, 1 << 30);\n';
  const bundleSha = createHash("sha256").update(fakeBundle).digest("hex");
  let server: Server;
  let url = "";
  const requests: string[] = [];
  const exec = (...args: string[]) => run("docker", ["exec", container, ...args]);
  const install = (script: string, ...args: string[]) =>
    run("docker", [
      "exec",
      container,
      "sh",
      "-c",
      'printf "%s" "$1" > /root/install.sh && shift && sh /root/install.sh "$@"',
      "sh",
      script,
      ...args,
    ]);

  beforeAll(async () => {
    server = createServer((req, res) => {
      requests.push(req.url ?? "");
      res.end(req.url?.includes("format=bundle") ? fakeBundle : fakeAgent);
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    // --network host: the container reaches the test's loopback server (PLATFORM.md).
    const started = await run("docker", systemdHostRunArgs(container));
    expect(started.code).toBe(0);
    for (let i = 0; i < 60; i++) {
      if (/running|degraded/.test((await exec("systemctl", "is-system-running")).stdout)) return;
      await new Promise((r) => setTimeout(r, 500));
    }
    throw new Error("systemd did not come up");
  }, 60_000);

  afterAll(async () => {
    await run("docker", ["rm", "-f", container]);
    await new Promise((r) => server?.close(r));
  });

  it("refuses a download whose sha256 does not match and installs nothing", async () => {
    const result = await install(
      renderInstallScript({ url, enrollmentToken: "tok_abcdefgh123", sha256: { x64: "0".repeat(64) } }),
    );
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(/sha256 mismatch/);
    expect((await exec("test", "-e", "/usr/local/bin/capstan-agent")).code).not.toBe(0);
    expect((await exec("sh", "-c", "ls /var/lib/capstan/bin/ 2>/dev/null")).stdout).toBe("");
  });

  it("installs, writes agent.env 0600, starts the unit; re-runs upgrade keeping the identity; uninstalls", async () => {
    const script = renderInstallScript({ url, sha256: { x64: sha } });
    const first = await install(
      script,
      "--token",
      "tok_abcdefgh123",
      "--name",
      "web-1",
      "--labels",
      "role=web",
    );
    expect({ code: first.code, err: first.stderr }).toEqual({ code: 0, err: "" });
    expect(requests.at(-1)).toBe("/api/agent/v1/agent-binary?arch=x64");
    // The agent lives in its state folder (where it may replace itself); the CLI name links there.
    expect((await exec("readlink", "/usr/local/bin/capstan-agent")).stdout.trim()).toBe(
      "/var/lib/capstan/bin/capstan-agent",
    );
    expect((await exec("grep", "^ExecStart=", "/etc/systemd/system/capstan-agent.service")).stdout).toBe(
      'ExecStart=/var/lib/capstan/bin/capstan-agent "run"\n',
    );
    expect((await exec("systemctl", "is-active", "capstan-agent.service")).stdout.trim()).toBe("active");
    expect((await exec("stat", "-c", "%a", "/etc/capstan/agent.env")).stdout.trim()).toBe("600");
    expect((await exec("cat", "/etc/capstan/agent.env")).stdout).toBe(
      `CAPSTAN_URL=${url}\nCAPSTAN_ENROLLMENT_TOKEN=tok_abcdefgh123\nCAPSTAN_HOST_NAME=web-1\nCAPSTAN_LABELS=role=web\n`,
    );

    // The agent enrolled (simulated): a re-run must keep its identity and not need a token. An
    // install from before agent upgrades (a plain file in /usr/local/bin) is moved over.
    await exec("sh", "-c", 'echo \'{"hostId":"x"}\' > /var/lib/capstan/host.json');
    await exec("sh", "-c", "rm /usr/local/bin/capstan-agent && echo old > /usr/local/bin/capstan-agent");
    const again = await install(script);
    expect({ code: again.code, err: again.stderr }).toEqual({ code: 0, err: "" });
    expect(again.stdout).toMatch(/already enrolled/);
    expect((await exec("cat", "/var/lib/capstan/host.json")).stdout).toContain("hostId");
    expect((await exec("readlink", "/usr/local/bin/capstan-agent")).stdout.trim()).toBe(
      "/var/lib/capstan/bin/capstan-agent",
    );

    // A deployed service keeps running after uninstall and is listed.
    await exec("systemd-run", "--unit", "capstan-shop-api", "/bin/sleep", "100000");
    const removed = await install(script, "--uninstall");
    expect(removed.code).toBe(0);
    expect(removed.stdout).toMatch(/systemd: capstan-shop-api\.service/);
    expect((await exec("test", "-e", "/usr/local/bin/capstan-agent")).code).not.toBe(0);
    expect((await exec("test", "-e", "/var/lib/capstan/bin/capstan-agent")).code).not.toBe(0);
    expect((await exec("test", "-e", "/etc/systemd/system/capstan-agent.service")).code).not.toBe(0);
    expect((await exec("systemctl", "is-active", "capstan-shop-api.service")).stdout.trim()).toBe("active");
    expect((await exec("test", "-e", "/var/lib/capstan/host.json")).code).toBe(0);
  });

  it("writes the host-local policy root-owned 0644 as deny-all, and an upgrade never replaces it", async () => {
    await exec("sh", "-c", "rm -rf /etc/capstan /var/lib/capstan");
    const script = renderInstallScript({ url, sha256: { x64: sha } });
    const first = await install(script, "--token", "tok_abcdefgh123");
    expect({ code: first.code, err: first.stderr }).toEqual({ code: 0, err: "" });
    expect((await exec("stat", "-c", "%a %u %g %F", "/etc/capstan/policy.json")).stdout.trim()).toBe(
      "644 0 0 regular file",
    );
    const written = JSON.parse((await exec("cat", "/etc/capstan/policy.json")).stdout);
    expect(hostPolicySchema.parse(written)).toEqual(DEFAULT_HOST_POLICY);

    // The host's admin widens it by hand; re-running the installer (an upgrade) keeps that.
    const edited = JSON.stringify({ ...written, systemd: { ...written.systemd, users: ["dynamic", "app"] } });
    await exec("sh", "-c", 'printf "%s" "$1" > /etc/capstan/policy.json', "sh", edited);
    await exec("sh", "-c", 'echo \'{"hostId":"x"}\' > /var/lib/capstan/host.json');
    const again = await install(script);
    expect({ code: again.code, err: again.stderr }).toEqual({ code: 0, err: "" });
    expect(again.stdout).toMatch(/keeping the host-local policy/);
    expect((await exec("cat", "/etc/capstan/policy.json")).stdout).toBe(edited);
    expect((await exec("stat", "-c", "%a %u %g", "/etc/capstan/policy.json")).stdout.trim()).toBe("644 0 0");
    expect((await install(script, "--uninstall")).code).toBe(0);
  });

  it("falls back to the JavaScript bundle on Node.js when no executable fits", async () => {
    const script = renderInstallScript({ url, sha256: {}, bundleSha256: bundleSha });
    const result = await install(script, "--token", "tok_abcdefgh123");
    expect({ code: result.code, err: result.stderr }).toEqual({ code: 0, err: "" });
    expect(requests.at(-1)).toBe("/api/agent/v1/agent-binary?arch=x64&format=bundle");
    expect((await exec("grep", "^ExecStart=", "/etc/systemd/system/capstan-agent.service")).stdout).toBe(
      'ExecStart=/usr/bin/env "node" "/var/lib/capstan/bin/capstan-agent.cjs" "run"\n',
    );
    expect((await exec("systemctl", "is-active", "capstan-agent.service")).stdout.trim()).toBe("active");
    const removed = await install(script, "--uninstall");
    expect(removed.code).toBe(0);
    expect((await exec("test", "-e", "/var/lib/capstan/bin/capstan-agent.cjs")).code).not.toBe(0);
  });

  it("refuses an injected --name before writing anything", async () => {
    const result = await install(
      renderInstallScript({ url, sha256: { x64: sha } }),
      "--token",
      "tok_abcdefgh123",
      "--name",
      "x$(touch /tmp/capstan-injected)",
    );
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(/host name has unexpected characters/);
    expect((await exec("test", "-e", "/tmp/capstan-injected")).code).not.toBe(0);
  });

  it("refuses a malformed --pin, and --pin with an http:// control plane, before writing anything", async () => {
    const bad = await install(
      renderInstallScript({ url, sha256: { x64: sha } }),
      "--token",
      "tok_abcdefgh123",
      "--pin",
      "sha256:$(touch /tmp/capstan-pin-injected)",
    );
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toMatch(/the pin \(sha256:<64 lower-case hex digits>\) has unexpected characters/);
    expect((await exec("test", "-e", "/tmp/capstan-pin-injected")).code).not.toBe(0);
    const plain = await install(
      renderInstallScript({ url, sha256: { x64: sha } }),
      "--token",
      "tok_abcdefgh123",
      "--pin",
      `sha256:${"a".repeat(64)}`,
    );
    expect(plain.stderr).toMatch(/--pin needs an https:\/\/ control plane URL/);
    expect((await exec("grep", "-q", "CAPSTAN_PIN", "/etc/capstan/agent.env")).code).not.toBe(0);
  });
});

const pinTools = requireComponents(
  "install script certificate pin",
  executable("/usr/bin/curl"),
  executable("/usr/bin/openssl"),
  executable("/bin/sh"),
);

describe.skipIf(!pinTools)("install script --pin (real curl against TLS servers on loopback)", () => {
  afterAll(removeTempDirs);

  it("downloads only from the pinned key: the script's own fetch, with curl's --pinnedpubkey", async () => {
    const dir = tempDir();
    const real = makeTestCertificate(dir, "real");
    const other = makeTestCertificate(dir, "other");
    const served: string[] = [];
    const server = createHttpsServer(real, (req, res) => {
      served.push(req.url ?? "");
      res.end("agent");
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const url = `https://127.0.0.1:${(server.address() as AddressInfo).port}/api/agent/v1/agent-binary`;
    try {
      // The script's functions, as rendered (die, pin_base64, fetch), run by sh.
      const script = renderInstallScript(base);
      const functions = ["die", "pin_base64", "fetch"]
        .map((name) => new RegExp(`^${name}\\(\\) \\{(.*\\}|[^]*?^\\})$`, "m").exec(script)?.[0] ?? "")
        .join("\n");
      expect(functions).toContain("--pinnedpubkey");
      const fetchWith = (pin: string) =>
        run(
          "sh",
          [
            "-c",
            `${functions}\nPIN=$1; fetch "$2" "$3"`,
            "sh",
            pin,
            url,
            join(dir, `out-${pin.slice(7, 15)}`),
          ],
          {
            env: { ...cleanEnv(), CURL_CA_BUNDLE: real.certFile },
          },
        );
      const refused = await fetchWith(other.pin);
      expect(refused.code).not.toBe(0);
      expect(refused.stderr).toMatch(/public key does not match pinned public key/);
      expect(served).toEqual([]);
      const pinned = await fetchWith(real.pin);
      expect({ code: pinned.code, err: pinned.stderr }).toEqual({ code: 0, err: "" });
      expect(served).toEqual(["/api/agent/v1/agent-binary"]);
    } finally {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    }
  });
});
