import { CompletionContext } from "@codemirror/autocomplete";
import { EditorState } from "@codemirror/state";
import { describe, expect, it } from "vitest";
import { schemaCompletion } from "./yaml-schema-assist";

/** The completion at the `|` in `doc`. */
function complete(doc: string, explicit = false) {
  const text = doc.replace("|", "");
  return schemaCompletion(
    new CompletionContext(EditorState.create({ doc: text }), doc.indexOf("|"), explicit),
  );
}
const labels = (doc: string, explicit = false) => complete(doc, explicit)?.options.map((o) => o.label) ?? [];

describe("schemaCompletion", () => {
  it("offers the keys of the place the cursor is in, minus those already written", () => {
    const service = labels("services:\n  web:\n    systemd:\n      exec: [/x]\n    |", true);
    expect(service).toEqual(expect.arrayContaining(["healthChecks", "dependsOn", "deadline", "compose"]));
    expect(service).not.toContain("systemd");
    expect(service).not.toContain("targets");
    expect(labels("name: x\n|", true)).toEqual(expect.arrayContaining(["targets", "services", "secrets"]));
    expect(labels("name: x\n|", true)).not.toContain("name");
  });

  it("opens by itself only once a letter is typed, and writes lists and maps on their own lines", () => {
    expect(complete("services:\n  web:\n    |")).toBeNull();
    const result = complete("services:\n  web:\n    heal|")!;
    const healthChecks = result.options.find((o) => o.label === "healthChecks")!;
    expect(healthChecks.apply).toBe("healthChecks:\n      - ");
    expect(healthChecks.detail).toBe("list");
    expect(result.options.find((o) => o.label === "systemd")!.apply).toBe("systemd:\n      ");
    expect(result.from).toBe("services:\n  web:\n    ".length);
  });

  it("completes the values an enum or a boolean allows", () => {
    expect(labels("services:\n  web:\n    systemd:\n      restart: on-|")).toEqual(
      expect.arrayContaining(["on-failure", "always", "no"]),
    );
    expect(labels("rollout:\n  autoRollback: t|")).toEqual(["true", "false"]);
    expect(labels("name: x|")).toEqual([]);
  });
});
