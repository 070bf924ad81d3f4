// Keys that Compose v2 (`docker compose`, compose-go) reads but the 2021 Compose Specification
// revision does not: the revision docker-compose 1.29 embeds and Capstan validates against, so a
// stack runs the same on a host with either. Such a key is refused like any unknown one, but the
// author learns why: it is not a typo, it is a v2-only feature.
import type { IssuePath } from "../workflow/workflow-issue";

const V2_ONLY: Record<"top" | "service" | "build" | "healthcheck", ReadonlySet<string>> = {
  top: new Set(["name", "include", "models"]),
  service: new Set([
    "annotations",
    "attach",
    "cgroup",
    "develop",
    "gpus",
    "label_file",
    "models",
    "post_start",
    "pre_stop",
    "provider",
    "pull_refresh_after",
    "use_api_socket",
    "uts",
  ]),
  build: new Set([
    "additional_contexts",
    "cache_to",
    "dockerfile_inline",
    "entitlements",
    "no_cache",
    "platforms",
    "privileged",
    "pull",
    "secrets",
    "ssh",
    "tags",
    "ulimits",
  ]),
  healthcheck: new Set(["start_interval"]),
};

/** Where in a Compose document a key at `path` sits, for the places v2 added keys to. */
function place(path: IssuePath): keyof typeof V2_ONLY | undefined {
  if (path.length === 1) return "top";
  if (path[0] !== "services") return undefined;
  if (path.length === 3) return "service";
  if (path.length === 4 && (path[2] === "build" || path[2] === "healthcheck")) return path[2];
  return undefined;
}

/** The notice for a key at `path` that only Compose v2 knows, or undefined. */
export function composeV2OnlyNotice(path: IssuePath): string | undefined {
  const where = place(path);
  const key = path.at(-1);
  if (where === undefined || typeof key !== "string" || !V2_ONLY[where].has(key)) return undefined;
  return "is a Compose v2-only key (docker-compose 1.29 does not know it); Capstan accepts what both Compose v1 and v2 read, so remove it (unknown key)";
}
