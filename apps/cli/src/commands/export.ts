import { existsSync, mkdirSync, readdirSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { renderExport } from "@capstan/templates";
import { formatWorkflowIssue } from "@capstan/templates/workflow/workflow-issue";
import type { Io } from "../main";
import { projectFolder } from "./deploy-project";
import { loadWorkflow } from "./load-workflow";
import { packProject } from "./pack-project";
import { writeBundleFiles } from "./write-bundle-files";

const HELP = `Usage: capstan export <capstan.yaml|FOLDER> --out DIR [--dockerfile node|python] [--force]

Writes the workflow as plain files to DIR: Compose files, hardened systemd units, .env.example
files with secret names (never values), ingress/Caddyfile for the domains (Compose targets then
published on 127.0.0.1), a README on running it by hand, and with --dockerfile a
multi-stage Dockerfile and .dockerignore. Nothing is built or started. DIR must be empty or new
unless --force is given.

Given a project FOLDER (holding capstan.yaml), the project's files too are written to DIR/project/,
exactly as \`capstan deploy\` would pack them (.git/ and ignored files left out), capstan.yaml
beside them.
`;

export async function runExport(argv: string[], io: Io): Promise<number> {
  let args: ReturnType<typeof parse>;
  try {
    args = parse(argv);
  } catch (error) {
    io.err(`capstan export: ${(error as Error).message}\n\n${HELP}`);
    return 2;
  }
  if (args.values.help) {
    io.out(HELP);
    return 0;
  }
  const [file] = args.positionals;
  const out = args.values.out;
  const dockerfile = args.values.dockerfile;
  if (!file || !out || args.positionals.length > 1) {
    io.err(HELP);
    return 2;
  }
  if (dockerfile !== undefined && dockerfile !== "node" && dockerfile !== "python") {
    io.err("capstan export: --dockerfile must be node or python\n");
    return 2;
  }
  const project = projectFolder(file, undefined);
  const result = loadWorkflow(project ? join(project, "capstan.yaml") : file);
  if (!result.ok) {
    for (const issue of result.issues) io.err(`${file}: ${formatWorkflowIssue(issue)}\n`);
    return 1;
  }
  const dir = resolve(out);
  if (existsSync(dir) && readdirSync(dir).length > 0 && !args.values.force) {
    io.err(`capstan export: ${out} is not empty (use --force to write into it)\n`);
    return 1;
  }
  const files = renderExport({ spec: result.spec, order: result.services.map((s) => s.name), dockerfile });
  for (const [path, { content, mode }] of Object.entries(files)) {
    const target = join(dir, path);
    mkdirSync(dirname(target), { recursive: true });
    writeFileSync(target, content, { mode });
  }
  io.out(`wrote ${Object.keys(files).length} files to ${out}\n`);
  if (project) {
    try {
      const written = await writeBundleFiles((await packProject(project)).data, join(dir, "project"));
      io.out(`wrote ${written} project files to ${join(out, "project")}\n`);
    } catch (error) {
      io.err(`capstan export: cannot pack ${project}: ${(error as Error).message}\n`);
      return 1;
    }
  }
  return 0;
}

function parse(argv: string[]) {
  return parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      out: { type: "string", short: "o" },
      dockerfile: { type: "string" },
      force: { type: "boolean" },
      help: { type: "boolean", short: "h" },
    },
  });
}
