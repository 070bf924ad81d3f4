// npm run schema -w @capstan/templates: regenerates capstan.schema.json from the zod schemas.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { workflowJsonSchema } from "../src/workflow/json-schema";

const file = join(import.meta.dirname, "..", "capstan.schema.json");
writeFileSync(file, `${JSON.stringify(workflowJsonSchema(), null, 2)}\n`);
console.log(`wrote ${file}`);
