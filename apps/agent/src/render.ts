// Turns a job's ServiceSpec into the files the runtimes write. The renderers live in
// packages/templates; this module only adapts them to the agent's paths.
import type { ComposeServiceSpec, HostPolicy, SystemdServiceSpec } from "@capstan/templates";
import * as fallback from "./render-fallback";
import type { ComposeFiles } from "./runtimes/compose";
import type { SystemdPaths } from "./runtimes/systemd";

export interface ComposeRenderInput {
  workflow: string;
  service: string;
  spec: ComposeServiceSpec;
  secrets: Record<string, string>;
  hostPolicy: HostPolicy;
}

export interface SystemdRenderInput {
  workflow: string;
  service: string;
  spec: SystemdServiceSpec;
  secrets: Record<string, string>;
}

export interface Renderer {
  compose(input: ComposeRenderInput): ComposeFiles;
  systemd(input: SystemdRenderInput): { env: string; unit(paths: SystemdPaths): string };
}

export const renderer: Renderer = {
  compose: fallback.renderCompose,
  systemd: fallback.renderSystemd,
};
