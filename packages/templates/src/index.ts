export * from "./workflow/host-policy";
export * from "./workflow/spec";
