export * from "./components";
export * from "./docker-cli";
export * from "./machine-agent";
export * from "./systemd-host";
export * from "./tls";
