// JSON Schema of what people write in capstan.yaml (the input side: defaults optional, durations
// as strings allowed), for editor completion. Generated from the zod schemas, never by hand.
import { z } from "zod";
import { workflowSpecSchema } from "./spec";

export function workflowJsonSchema(): Record<string, unknown> {
  const schema = z.toJSONSchema(workflowSpecSchema, { io: "input", unrepresentable: "any" }) as Record<
    string,
    unknown
  >;
  return {
    ...schema,
    title: "Capstan workflow (capstan.yaml)",
    description:
      "A Capstan workflow: services (Compose stacks or systemd services), targets and rollout. See docs/user/workflow-format.md.",
  };
}
