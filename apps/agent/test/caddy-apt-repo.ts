// A local apt repository (a folder with .debs and a Packages index, used as a `file:` source)
// holding Debian's caddy and every package of its dependency closure that a host lacks, so a
// test host installs the real package with the real apt-get and no mirror. The .debs come from
// the folder .ci/setup-machine.sh fills, apt's own cache, or else `apt-get download`.
import { execFileSync, spawnSync } from "node:child_process";
import { chmodSync, copyFileSync, existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";

/** Where .ci/setup-machine.sh keeps the caddy .deb and its dependencies. */
const CADDY_DEB_CACHE = "/var/cache/capstan/debs";
const SOURCES = [CADDY_DEB_CACHE, "/var/cache/apt/archives"];

const apt = (program: string, args: string[], cwd?: string) =>
  execFileSync(program, args, { encoding: "utf8", cwd, stdio: ["ignore", "pipe", "pipe"] });

/** caddy and everything it needs to install, by package name (no recommends). */
function caddyClosure(): string[] {
  // biome-ignore format: one option per dependency kind left out
  const out = apt("apt-cache", ["depends", "--recurse", "--no-recommends", "--no-suggests", "--no-conflicts",
    "--no-breaks", "--no-replaces", "--no-enhances", "caddy"]);
  return [...new Set(out.split("\n").filter((l) => /^[a-z0-9]/.test(l)))];
}

/** The file name apt gives the candidate version of `pkg` (`libnss3_2%3a3.87.1-1+deb12u4_amd64.deb`). */
function debName(pkg: string): string {
  const show = apt("apt-cache", ["show", "--no-all-versions", pkg]);
  const field = (name: string) => new RegExp(`^${name}: (.+)$`, "m").exec(show)?.[1] ?? "";
  return `${pkg}_${field("Version").replace(":", "%3a")}_${field("Architecture")}.deb`;
}

/** Fills `dir` with the .debs of caddy's closure minus `installed` and writes its Packages index. */
export function buildCaddyAptRepo(dir: string, installed: ReadonlySet<string>): string[] {
  const wanted = caddyClosure().filter((p) => !installed.has(p));
  const files = new Map(wanted.map((p) => [p, debName(p)]));
  const absent = wanted.filter((p) => {
    const found = SOURCES.map((d) => join(d, files.get(p)!)).find((f) => existsSync(f));
    if (found) copyFileSync(found, join(dir, files.get(p)!));
    return !found;
  });
  if (absent.length > 0) spawnSync("apt-get", ["download", ...absent], { cwd: dir, stdio: "pipe" });
  const still = absent.filter((p) => !existsSync(join(dir, files.get(p)!)));
  if (still.length > 0)
    throw new Error(
      `no .deb for ${still.join(", ")} in ${SOURCES.join(" or ")} and apt-get download failed: run \`bash .ci/setup-machine.sh\` as root (it keeps them in ${CADDY_DEB_CACHE})`,
    );
  writeFileSync(join(dir, "Packages"), apt("dpkg-scanpackages", ["--multiversion", "."], dir));
  // apt reads a file: source as its unprivileged _apt user.
  chmodSync(dir, 0o755);
  for (const file of files.values()) chmodSync(join(dir, file), 0o644);
  return wanted;
}
