// Where `capstan login` keeps the control plane's URL and token: $XDG_CONFIG_HOME/capstan/
// config.json (default ~/.config/capstan/config.json). The folder is 0700 and the file 0600: the
// token is a bearer credential. Written through a temp file and rename, so a reader never sees a
// half-written file and an existing file with looser permissions is replaced, not reused.
import { chmodSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { homedir } from "node:os";
import { dirname, isAbsolute, join } from "node:path";
import { z } from "zod";

const storedConfigSchema = z.object({ url: z.string().min(1), token: z.string().min(1) });
export type StoredConfig = z.infer<typeof storedConfigSchema>;

/** The environment the CLI reads (this module and api-client are its only readers). */
export function cliEnv(): NodeJS.ProcessEnv {
  return process.env;
}

/** The config file's path; XDG_CONFIG_HOME counts only when absolute, as the XDG spec says. */
export function configPath(env: NodeJS.ProcessEnv = process.env): string {
  const xdg = env.XDG_CONFIG_HOME;
  const base = xdg && isAbsolute(xdg) ? xdg : join(env.HOME || homedir(), ".config");
  return join(base, "capstan", "config.json");
}

/** The stored URL and token; null when nobody logged in. A damaged file is an error naming it. */
export function readStoredConfig(path: string = configPath()): StoredConfig | null {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return null;
    throw new Error(`cannot read ${path}: ${(error as Error).message}`);
  }
  let parsed: ReturnType<typeof storedConfigSchema.safeParse>;
  try {
    parsed = storedConfigSchema.safeParse(JSON.parse(text));
  } catch {
    parsed = storedConfigSchema.safeParse(null);
  }
  if (!parsed.success)
    throw new Error(`${path} is not a capstan config file; run \`capstan logout\`, then \`capstan login\``);
  return parsed.data;
}

export function writeStoredConfig(config: StoredConfig, path: string = configPath()): void {
  const dir = dirname(path);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  // mkdir's mode does not apply to a folder that already exists; this one holds only our file.
  chmodSync(dir, 0o700);
  const temp = `${path}.${process.pid}.tmp`;
  try {
    writeFileSync(temp, `${JSON.stringify(config, null, 2)}\n`, { mode: 0o600, flag: "wx" });
    chmodSync(temp, 0o600);
    renameSync(temp, path);
  } finally {
    rmSync(temp, { force: true });
  }
}

/** Removes the stored config; false when there was none. */
export function removeStoredConfig(path: string = configPath()): boolean {
  try {
    rmSync(path);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return false;
    throw error;
  }
}
