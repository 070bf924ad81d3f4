// Validation issues name the path inside the document and, for YAML, the line, so that both a
// person at a terminal and the dashboard editor can point at the exact spot.
export type IssuePath = (string | number)[];

export interface WorkflowIssue {
  /** e.g. ["services", "api", "systemd", "exec", 0] */
  path: IssuePath;
  message: string;
  /** 1-based line in the file the issue is in, when the input was YAML. */
  line?: number;
  column?: number;
  /** Set when the issue is inside a referenced file (a Compose file next to the workflow):
   * `path` then points at the reference, `filePath` inside the file, and `line` is in the file. */
  file?: string;
  filePath?: IssuePath;
  /** The issue is about the last path element as a key (unknown or badly named key). */
  atKey?: boolean;
}

const PLAIN_KEY = /^[A-Za-z0-9_-]+$/;

/** ["services", "api", "exec", 0] -> "services.api.exec[0]" */
export function formatIssuePath(path: IssuePath): string {
  let out = "";
  for (const part of path) {
    if (typeof part === "number") out += `[${part}]`;
    else if (PLAIN_KEY.test(part)) out += out === "" ? part : `.${part}`;
    else out += `[${JSON.stringify(part)}]`;
  }
  return out === "" ? "(document)" : out;
}

/** "services.api.systemd.exec[0]: must be an absolute path (line 12)" */
export function formatWorkflowIssue(issue: WorkflowIssue): string {
  const inFile = issue.file ? ` -> ${issue.file}: ${formatIssuePath(issue.filePath ?? [])}` : "";
  const line = issue.line !== undefined ? ` (${issue.file ? `${issue.file} ` : ""}line ${issue.line})` : "";
  return `${formatIssuePath(issue.path)}${inFile}: ${issue.message}${line}`;
}
