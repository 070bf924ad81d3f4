import { describe, expect, it } from "vitest";
import { findNameClash } from "./spec";

describe("findNameClash", () => {
  const managed = [
    { workflow: "a", service: "b-c", kind: "systemd" },
    { workflow: "shop", service: "api", kind: "compose" },
  ];

  it("finds another service that already owns the joined name", () => {
    expect(findNameClash(managed, "a-b", "c")).toEqual(managed[0]);
    expect(findNameClash(managed, "shop-api", "x")).toBeUndefined();
  });

  it("lets a service redeploy under its own name", () => {
    expect(findNameClash(managed, "a", "b-c")).toBeUndefined();
    expect(findNameClash(managed, "shop", "api")).toBeUndefined();
  });
});
