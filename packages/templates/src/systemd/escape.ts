// Escaping for systemd unit files and EnvironmentFiles. Values are either made inert and
// byte-exact (checked against real systemd in the tests) or refused; newlines, carriage returns
// and NUL are always refused because no quoting makes them safe in every consumer.

export class RenderError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "RenderError";
  }
}

const FORBIDDEN = /[\0\r\n]/;

export function assertSingleLine(value: string, what: string): void {
  if (FORBIDDEN.test(value))
    throw new RenderError(`${what} must not contain a newline, carriage return or NUL`);
}

/** `%` starts a specifier in unit files (%n, %h, ...); `%%` is a literal percent sign. */
export function escapeSpecifiers(value: string): string {
  return value.replace(/%/g, "%%");
}

/**
 * One ExecStart= argument, double-quoted. Inside quotes systemd un-escapes C escapes, expands
 * `$VAR`/`${VAR}` (so `$` becomes `$$`) and specifiers (so `%` becomes `%%`); a quoted `;` is
 * not a command separator.
 */
export function quoteExecArgument(arg: string, what = "argument"): string {
  assertSingleLine(arg, what);
  let out = "";
  for (const ch of arg) {
    const code = ch.codePointAt(0)!;
    if (ch === "\\") out += "\\\\";
    else if (ch === '"') out += '\\"';
    else if (ch === "$") out += "$$";
    else if (ch === "%") out += "%%";
    else if (code < 0x20 || code === 0x7f) out += `\\x${code.toString(16).padStart(2, "0")}`;
    else out += ch;
  }
  return `"${out}"`;
}

/** A path used as a directive value (WorkingDirectory=, EnvironmentFile=, ReadWritePaths=). */
export function escapePath(path: string, what = "path"): string {
  assertSingleLine(path, what);
  if (!path.startsWith("/")) throw new RenderError(`${what} must be absolute`);
  if (!/^[A-Za-z0-9._/@+%:-]+$/.test(path))
    throw new RenderError(`${what} may contain only letters, digits and . _ / @ + % : -`);
  return escapeSpecifiers(path);
}

/**
 * One EnvironmentFile value. systemd reads single-quoted text literally; in double quotes a
 * backslash escapes exactly `"`, `\`, backtick and `$`. No variable or specifier expansion
 * happens in EnvironmentFiles.
 */
export function quoteEnvironmentFileValue(value: string, what = "value"): string {
  assertSingleLine(value, what);
  if (!value.includes("'")) return `'${value}'`;
  return `"${value.replace(/["\\`$]/g, (c) => `\\${c}`)}"`;
}
