export * from "./components";
export * from "./systemd-host";
