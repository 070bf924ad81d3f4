// What runs on a host, as heartbeats report it: per managed service its resource use and where it
// listens (`serviceHealthSchema.stats`), and, read-only, the containers and units Capstan does not
// manage (`unmanaged`). Every string is matched against an allowlist pattern: these values are
// shown to people, so nothing that could smuggle markup, paths or control characters gets in.
import { z } from "zod";
import { isoDateSchema, NAME_PATTERN } from "./common";

/** Docker image references (`registry:5000/team/app:1.2@sha256:...`) and image ids. */
export const IMAGE_REF_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._:/@+-]{0,299}$/;
/** Docker container names (the Engine's own rule, without the leading slash). */
export const CONTAINER_NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/;
/** systemd service unit names (with `\x2d`-style escapes and template instances). */
export const SERVICE_UNIT_PATTERN = /^[A-Za-z0-9:_.@\\-]{1,248}\.service$/;
/** Short state words: `running`, `exited`, `active`, `auto-restart`. */
const STATE_PATTERN = /^[a-z][a-z-]{0,31}$/;

export const MAX_UNMANAGED = 200;
const MAX_PORTS = 32;

export const servicePortSchema = z.object({
  /** The port on the host, when published (Compose) or declared (systemd health checks). */
  published: z.number().int().min(1).max(65535).optional(),
  /** The port inside the container. */
  target: z.number().int().min(1).max(65535).optional(),
  protocol: z.enum(["tcp", "udp", "sctp"]).default("tcp"),
});
export type ServicePort = z.infer<typeof servicePortSchema>;

/** Resource use and identity of one managed service; every field optional (old agents, no accounting). */
export const serviceStatsSchema = z.object({
  /** When the service's (newest) container or main process started. */
  startedAt: isoDateSchema.optional(),
  /** Restarts by the Engine (summed over the project's containers) or systemd's NRestarts. */
  restarts: z.number().int().min(0).max(1_000_000_000).optional(),
  /** Of one CPU: 250 means two and a half cores busy. */
  cpuPercent: z.number().min(0).max(100_000).optional(),
  memoryBytes: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER).optional(),
  /** Compose: the image of the service's main container. */
  image: z.string().regex(IMAGE_REF_PATTERN).optional(),
  /** systemd/Nix: the release folder `current` points at. */
  release: z.string().regex(NAME_PATTERN).optional(),
  /** A source commit when the agent knows one (the control plane fills it from the revision otherwise). */
  commit: z
    .string()
    .regex(/^[0-9a-f]{7,64}$/)
    .optional(),
  ports: z.array(servicePortSchema).max(MAX_PORTS).optional(),
});
export type ServiceStats = z.infer<typeof serviceStatsSchema>;

export const unmanagedContainerSchema = z.object({
  name: z.string().regex(CONTAINER_NAME_PATTERN),
  image: z.string().regex(IMAGE_REF_PATTERN).optional(),
  state: z.string().regex(STATE_PATTERN),
  /** The Compose project it belongs to, if any (not one of Capstan's). */
  project: z.string().regex(CONTAINER_NAME_PATTERN).optional(),
});
export type UnmanagedContainer = z.infer<typeof unmanagedContainerSchema>;

export const unmanagedUnitSchema = z.object({
  name: z.string().regex(SERVICE_UNIT_PATTERN),
  state: z.string().regex(STATE_PATTERN),
});
export type UnmanagedUnit = z.infer<typeof unmanagedUnitSchema>;

/** Containers not in Capstan's Compose projects and running `*.service` units that are not `capstan-*`. */
export const unmanagedSchema = z.object({
  containers: z.array(unmanagedContainerSchema).max(MAX_UNMANAGED),
  units: z.array(unmanagedUnitSchema).max(MAX_UNMANAGED),
  /** More were found than MAX_UNMANAGED (or some names did not match the patterns and were left out). */
  truncated: z.boolean().default(false),
});
export type Unmanaged = z.infer<typeof unmanagedSchema>;
