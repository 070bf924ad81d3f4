// Replaced at build time by scripts/build.mjs; the fallback is for `tsx` runs from source.
declare const __CAPSTAN_AGENT_VERSION__: string | undefined;

export const AGENT_VERSION: string =
  typeof __CAPSTAN_AGENT_VERSION__ === "string" ? __CAPSTAN_AGENT_VERSION__ : "0.1.0-dev";
