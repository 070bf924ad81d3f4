// The version `capstan --version` reports: the build (scripts/build.mjs) writes package.json's;
// run from source it is a development version.
declare const __CAPSTAN_CLI_VERSION__: string | undefined;

export const CLI_VERSION =
  typeof __CAPSTAN_CLI_VERSION__ === "string" ? __CAPSTAN_CLI_VERSION__ : "0.1.0-dev";
