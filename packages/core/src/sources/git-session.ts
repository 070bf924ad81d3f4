// One throw-away place to run the `git` CLI against one remote: a temp folder (HOME, the
// repository, the credential files) removed on close, an environment built from nothing (no
// user/system config, no proxies, no prompts), only the https/http/ssh transports, no redirects,
// and the remote's host pinned to the address the policy checked (no DNS rebinding between the
// check and git's own lookup). Credentials never reach argv or the URL: a token goes in an
// `http.extraHeader` passed through GIT_CONFIG_* variables, an OpenSSH key in a 0600 file.
import { spawn } from "node:child_process";
import { chmod, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Writable } from "node:stream";
import { AppError } from "../errors";
import type { GitRemote } from "./check-git-remote";

/** Most of git's stdout any one command may produce before it is stopped (ls-remote of big repos). */
const MAX_OUTPUT_BYTES = 16 * 1024 * 1024;

export interface GitSession {
  dir: string;
  /** Runs git; resolves with stdout, or throws an AppError with git's (redacted) complaint. */
  /** With `stdout`, git's output is piped there (with backpressure) instead of collected. */
  run(args: string[], options?: { stdout?: Writable; signal?: AbortSignal }): Promise<string>;
  close(): Promise<void>;
}

export interface GitSessionInput {
  remote: GitRemote;
  /** A token (HTTPS) or an OpenSSH private key (starts with "-----BEGIN"). */
  credential?: string;
  signal?: AbortSignal;
}

const bracketed = (address: string) => (address.includes(":") ? `[${address}]` : address);
const isSshKey = (credential: string) => credential.trimStart().startsWith("-----BEGIN");

export async function openGitSession(input: GitSessionInput): Promise<GitSession> {
  const { remote, credential } = input;
  const dir = await mkdtemp(join(tmpdir(), "capstan-git-fetch-"));
  await chmod(dir, 0o700);
  try {
    const config: [string, string][] = [
      ["protocol.allow", "never"],
      ["protocol.https.allow", "always"],
      ["protocol.http.allow", "always"],
      ["protocol.ssh.allow", "always"],
      ["http.followRedirects", "false"],
      ["credential.helper", ""],
      ["core.hooksPath", "/dev/null"],
    ];
    const env: Record<string, string> = {
      PATH: "/usr/local/bin:/usr/bin:/bin",
      HOME: dir,
      LANG: "C",
      LC_ALL: "C",
      GIT_CONFIG_NOSYSTEM: "1",
      GIT_CONFIG_GLOBAL: "/dev/null",
      GIT_TERMINAL_PROMPT: "0",
      GIT_ASKPASS: "/bin/false",
      SSH_ASKPASS: "/bin/false",
      GIT_PROTOCOL_FROM_USER: "0",
    };
    if (remote.scheme !== "ssh")
      config.push(["http.curloptResolve", `${remote.host}:${remote.port}:${bracketed(remote.address)}`]);
    const secrets = credential ? [credential.trim(), Buffer.from(credential.trim()).toString("base64")] : [];
    if (credential && !isSshKey(credential) && remote.scheme !== "ssh") {
      const user = remote.user ?? "x-access-token";
      const basic = Buffer.from(`${user}:${credential.trim()}`).toString("base64");
      secrets.push(basic);
      config.push(["http.extraHeader", `Authorization: Basic ${basic}`]);
    }
    let sshOptions = `-F /dev/null -o BatchMode=yes -o StrictHostKeyChecking=accept-new -o UserKnownHostsFile=${dir}/known_hosts -o HostKeyAlias=${remote.host} -o HostName=${remote.address}`;
    if (credential && isSshKey(credential)) {
      const key = join(dir, "id");
      await writeFile(key, `${credential.trim()}\n`, { mode: 0o600 });
      sshOptions += ` -o IdentitiesOnly=yes -i ${key}`;
    }
    // GIT_SSH_COMMAND is read by a shell; every part above is from mkdtemp or the checked URL.
    if (!/^[A-Za-z0-9._/-]+$/.test(dir))
      throw new AppError(
        "UNAVAILABLE",
        "The temporary folder's path has characters Capstan does not pass to ssh; set TMPDIR to a plain path.",
      );
    env.GIT_SSH_COMMAND = `ssh ${sshOptions}`;
    env.GIT_SSH_VARIANT = "ssh";
    env.GIT_CONFIG_COUNT = String(config.length);
    config.forEach(([key, value], i) => {
      env[`GIT_CONFIG_KEY_${i}`] = key;
      env[`GIT_CONFIG_VALUE_${i}`] = value;
    });

    return {
      dir,
      run: (args, options = {}) =>
        runGit(args, {
          env,
          cwd: dir,
          signal: anySignal(input.signal, options.signal),
          secrets,
          stdout: options.stdout,
        }),
      close: () => rm(dir, { recursive: true, force: true }),
    };
  } catch (error) {
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
}

/** Removes every credential form from a text shown to people. */
function redact(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const secret of secrets) if (secret) out = out.split(secret).join("[redacted]");
  return out;
}

function runGit(
  args: string[],
  options: {
    env: Record<string, string>;
    cwd: string;
    signal?: AbortSignal;
    secrets: string[];
    stdout?: Writable;
  },
): Promise<string> {
  return new Promise((resolve, reject) => {
    if (options.signal?.aborted)
      return reject(options.signal.reason instanceof AppError ? options.signal.reason : aborted());
    // The whole environment is ours (nothing inherited); the cast only meets Next's ProcessEnv typing.
    const env = options.env as NodeJS.ProcessEnv;
    // Its own process group: git runs helpers (git-remote-http, ssh, index-pack) that must stop with it.
    const child = spawn("git", args, {
      cwd: options.cwd,
      env,
      stdio: ["ignore", "pipe", "pipe"],
      detached: true,
    });
    const killAll = () => {
      try {
        if (child.pid) process.kill(-child.pid, "SIGKILL");
      } catch {
        child.kill("SIGKILL");
      }
    };
    const out: Buffer[] = [];
    let outBytes = 0;
    let err = "";
    let failure: AppError | null = null;
    const stop = (error: AppError) => {
      failure ??= error;
      killAll();
    };
    // A caller's own AppError reason (a size limit) is the failure; any other reason is the deadline.
    const onAbort = () => {
      const reason: unknown = options.signal?.reason;
      stop(reason instanceof AppError ? reason : aborted());
    };
    options.signal?.addEventListener("abort", onAbort, { once: true });
    if (options.stdout) {
      child.stdout.pipe(options.stdout);
      options.stdout.on("error", killAll);
    } else
      child.stdout.on("data", (chunk: Buffer) => {
        outBytes += chunk.length;
        if (outBytes > MAX_OUTPUT_BYTES)
          return stop(new AppError("BAD_REQUEST", "git answered with too much output."));
        out.push(chunk);
      });
    child.stderr.on("data", (chunk: Buffer) => {
      if (err.length < 64 * 1024) err += chunk.toString("utf8");
    });
    child.on("error", (error) =>
      stop(new AppError("UNAVAILABLE", `git could not be started: ${error.message}`)),
    );
    child.on("close", (code) => {
      options.signal?.removeEventListener("abort", onAbort);
      if (failure) return reject(failure);
      if (code === 0) return resolve(Buffer.concat(out).toString("utf8"));
      reject(new GitCommandError(redact(summarize(err), options.secrets)));
    });
  });
}

/** git's own complaint, without progress lines, trimmed to what a person reads. */
function summarize(stderr: string): string {
  const lines = stderr
    .split(/\r?\n|\r/)
    .map((l) => l.trim())
    .filter(
      (l) => l && !/^(remote: )?(Counting|Compressing|Receiving|Resolving|Enumerating|Total)\b/.test(l),
    );
  return lines.slice(-4).join(" ").slice(0, 600) || "git failed without a message";
}

function anySignal(...signals: (AbortSignal | undefined)[]): AbortSignal | undefined {
  const present = signals.filter((s): s is AbortSignal => s !== undefined);
  return present.length > 1 ? AbortSignal.any(present) : present[0];
}

function aborted(): AppError {
  return new AppError("UNAVAILABLE", "Fetching from the Git repository took too long and was stopped.");
}

/** git exited non-zero; `message` is git's redacted stderr (callers add context). */
export class GitCommandError extends Error {
  override name = "GitCommandError";
}
