import { describe, expect, it } from "vitest";
import { cursorContext, keyPathAt } from "./yaml-path";

/** The context at the `|` in `doc`. */
const at = (doc: string) => cursorContext(doc.replace("|", ""), doc.indexOf("|"));

describe("cursorContext", () => {
  it("reads the mapping path from indentation, with list items as 0", () => {
    expect(at("name: x\n|")).toMatchObject({ path: [], kind: "key", prefix: "", siblings: ["name"] });
    expect(at("services:\n  api:\n    health|")).toMatchObject({
      path: ["services", "api"],
      prefix: "health",
    });
    const checks =
      "services:\n  api:\n    healthChecks:\n      - http:\n          url: x\n      - tcp:\n          |";
    expect(at(checks)).toMatchObject({ path: ["services", "api", "healthChecks", 0, "tcp"], kind: "key" });
    expect(at("services:\n  api:\n    healthChecks:\n      - ht|")).toMatchObject({
      path: ["services", "api", "healthChecks", 0],
      prefix: "ht",
      from: 8,
    });
    // A list at its key's own column.
    expect(at("healthChecks:\n- http:\n    url: x\n  t|")).toMatchObject({
      path: ["healthChecks", 0],
      siblings: ["http"],
    });
  });

  it("lists the keys already written beside the cursor, not those of other mappings", () => {
    const doc = "name: x\ntargets:\n  hosts: [a]\n  |\nservices:\n  api: {}\n";
    expect(at(doc)).toMatchObject({ path: ["targets"], siblings: ["hosts"] });
  });

  it("knows when a value is typed, and gives up inside block scalars and flow style", () => {
    expect(at("services:\n  api:\n    systemd:\n      restart: on-|")).toMatchObject({
      path: ["services", "api", "systemd"],
      kind: "value",
      key: "restart",
      prefix: "on-",
    });
    expect(at("description: |\n  some te|")).toBeUndefined();
    expect(at("targets: { ho|")).toBeUndefined();
  });
});

describe("keyPathAt", () => {
  it("gives the full path of the key under the cursor", () => {
    const doc = "services:\n  api:\n    healthChecks: []\n";
    expect(keyPathAt(doc, doc.indexOf("Checks"))).toEqual({
      path: ["services", "api", "healthChecks"],
      from: doc.indexOf("healthChecks"),
      to: doc.indexOf("healthChecks") + "healthChecks".length,
    });
    expect(keyPathAt(doc, doc.indexOf("[]"))).toBeUndefined();
  });
});
