export * from "./components";
export * from "./docker-cli";
export * from "./git-server";
export * from "./machine-agent";
export * from "./pebble";
export * from "./systemd-host";
export * from "./tls";
