"use client";
// The workflow's YAML in CodeMirror 6: highlighting, completion and hover docs from the workflow's
// JSON Schema (yaml-schema-assist.ts), the validator's issues as inline diagnostics, a gutter that
// marks their lines and a list that jumps to them. Tab indents; Escape then Tab moves focus on
// (CodeMirror's escape hatch), so keyboard users are never trapped in the editor.
import { autocompletion } from "@codemirror/autocomplete";
import { defaultKeymap, history, historyKeymap, indentWithTab } from "@codemirror/commands";
import { yaml } from "@codemirror/lang-yaml";
import { defaultHighlightStyle, indentUnit, syntaxHighlighting } from "@codemirror/language";
import { type Diagnostic, setDiagnostics } from "@codemirror/lint";
import { Annotation, Compartment, EditorState, RangeSet, StateEffect, StateField } from "@codemirror/state";
import {
  Decoration,
  drawSelection,
  EditorView,
  GutterMarker,
  gutter,
  highlightActiveLine,
  keymap,
} from "@codemirror/view";
import { useEffect, useRef } from "react";
import { schemaCompletion, schemaHover } from "./yaml-schema-assist";

export interface EditorIssue {
  line?: number;
  column?: number;
  text: string;
}

/** "... (line 12)" is said by the position already. */
const withoutLine = (issue: EditorIssue) =>
  issue.line !== undefined ? issue.text.replace(/ \((?:\S+ )?line \d+\)$/, "") : issue.text;

/** A change that came from the `value` prop, not from typing: not reported back. */
const fromProps = Annotation.define<boolean>();
interface IssueMarks {
  lines: ReadonlyMap<number, string[]>;
  count: number;
}
const setIssues = StateEffect.define<IssueMarks>();
/** The issues' lines (gutter, line background) and whether there are any (aria-invalid), set
 * by an effect rather than a reconfiguration, which would reset an open completion list. */
const issueMarks = StateField.define<IssueMarks>({
  create: () => ({ lines: new Map(), count: 0 }),
  update: (marks, tr) => tr.effects.find((e) => e.is(setIssues))?.value ?? marks,
  provide: (field) => [
    EditorView.decorations.compute([field, "doc"], (state) => {
      const marks = [...state.field(field).lines.keys()]
        .filter((n) => n <= state.doc.lines)
        .sort((a, b) => a - b)
        .map((n) => Decoration.line({ class: "cm-issue-line" }).range(state.doc.line(n).from));
      return RangeSet.of(marks);
    }),
    EditorView.contentAttributes.compute([field], (state) => ({
      "aria-invalid": String(state.field(field).count > 0),
    })),
  ],
});

/** A line number that says whether the line has issues (data-line, data-error, title). */
class LineMarker extends GutterMarker {
  constructor(
    readonly line: number,
    readonly problems: readonly string[] | undefined,
  ) {
    super();
  }
  override eq(other: LineMarker) {
    return other.line === this.line && other.problems?.join("\n") === this.problems?.join("\n");
  }
  override toDOM() {
    const dom = document.createElement("div");
    dom.dataset.line = String(this.line);
    dom.textContent = this.problems ? `● ${this.line}` : String(this.line);
    if (this.problems) {
      dom.dataset.error = "true";
      dom.title = this.problems.join("\n");
      dom.className = "cm-issue-marker";
    }
    return dom;
  }
}

/** Sizes the gutter for a marked three-digit line; not a line, so it carries no data-line. */
class SpacerMarker extends GutterMarker {
  override toDOM() {
    return document.createTextNode("● 999");
  }
}

const lineGutter = gutter({
  class: "cm-yaml-lines",
  lineMarker: (view, block) => {
    const n = view.state.doc.lineAt(block.from).number;
    return new LineMarker(n, view.state.field(issueMarks).lines.get(n));
  },
  lineMarkerChange: (update) => update.transactions.some((tr) => tr.effects.some((e) => e.is(setIssues))),
  initialSpacer: () => new SpacerMarker(),
});

const theme = EditorView.theme({
  "&": { height: "28rem", fontSize: "0.875rem" },
  "&.cm-focused": { outline: "none" },
  ".cm-scroller": { fontFamily: "ui-monospace, SFMono-Regular, Menlo, monospace", lineHeight: "1.5rem" },
  ".cm-content": { padding: "0.5rem 0" },
  ".cm-gutters": {
    backgroundColor: "rgb(248 250 252)",
    color: "rgb(148 163 184)",
    borderRight: "1px solid rgb(226 232 240)",
  },
  ".cm-yaml-lines .cm-gutterElement": { padding: "0 0.5rem 0 0.75rem", textAlign: "right" },
  ".cm-issue-marker": { color: "rgb(185 28 28)", fontWeight: "600" },
  ".cm-issue-line": { backgroundColor: "rgb(254 242 242)" },
  ".cm-schema-doc": {
    maxWidth: "28rem",
    padding: "0.5rem 0.75rem",
    fontSize: "0.8125rem",
    lineHeight: "1.25rem",
  },
  ".cm-schema-doc strong": { display: "block", fontFamily: "ui-monospace, monospace" },
  ".cm-schema-doc code, .cm-completionInfo code": {
    fontFamily: "ui-monospace, monospace",
    backgroundColor: "rgb(241 245 249)",
  },
});

function diagnosticsFor(state: EditorState, issues: EditorIssue[]): Diagnostic[] {
  return issues.flatMap((issue) => {
    if (issue.line === undefined || issue.line > state.doc.lines) return [];
    const line = state.doc.line(issue.line);
    const indent = line.text.length - line.text.trimStart().length;
    const column = issue.column !== undefined ? Math.min(issue.column - 1, line.length) : indent;
    return [{ from: line.from + column, to: line.to, severity: "error", message: withoutLine(issue) }];
  });
}

export function YamlEditor({
  id,
  label,
  value,
  onChange,
  issues,
  readOnly,
}: {
  id: string;
  label: string;
  value: string;
  onChange: (value: string) => void;
  issues: EditorIssue[];
  readOnly?: boolean;
}) {
  const host = useRef<HTMLDivElement>(null);
  const view = useRef<EditorView | null>(null);
  const onChangeRef = useRef(onChange);
  onChangeRef.current = onChange;
  const settings = useRef(new Compartment());
  const initial = useRef(value);

  useEffect(() => {
    const editor = new EditorView({
      parent: host.current!,
      state: EditorState.create({
        doc: initial.current,
        extensions: [
          lineGutter,
          issueMarks,
          history(),
          drawSelection(),
          highlightActiveLine(),
          indentUnit.of("  "),
          EditorState.tabSize.of(2),
          yaml(),
          syntaxHighlighting(defaultHighlightStyle, { fallback: true }),
          autocompletion({ override: [schemaCompletion], icons: false }),
          schemaHover,
          keymap.of([...defaultKeymap, ...historyKeymap, indentWithTab]),
          theme,
          settings.current.of([]),
          EditorView.updateListener.of((update) => {
            if (update.docChanged && !update.transactions.some((tr) => tr.annotation(fromProps)))
              onChangeRef.current(update.state.doc.toString());
          }),
        ],
      }),
    });
    editor.dom.querySelector(".cm-gutters")?.setAttribute("data-testid", "yaml-gutter");
    view.current = editor;
    return () => {
      editor.destroy();
      view.current = null;
    };
  }, []);

  useEffect(() => {
    const editor = view.current;
    if (!editor || editor.state.doc.toString() === value) return;
    editor.dispatch({
      changes: { from: 0, to: editor.state.doc.length, insert: value },
      annotations: fromProps.of(true),
    });
  }, [value]);

  useEffect(() => {
    const editor = view.current;
    if (!editor) return;
    editor.dispatch({
      effects: settings.current.reconfigure([
        EditorState.readOnly.of(readOnly === true),
        EditorView.contentAttributes.of({
          id,
          "aria-labelledby": `${id}-label`,
          "aria-describedby": `${id}-help ${id}-issues`,
          "aria-readonly": String(readOnly === true),
        }),
      ]),
    });
  }, [id, readOnly]);

  useEffect(() => {
    const editor = view.current;
    if (!editor) return;
    const lines = new Map<number, string[]>();
    for (const issue of issues)
      if (issue.line !== undefined)
        lines.set(issue.line, [...(lines.get(issue.line) ?? []), withoutLine(issue)]);
    editor.dispatch(setDiagnostics(editor.state, diagnosticsFor(editor.state, issues)));
    editor.dispatch({ effects: setIssues.of({ lines, count: issues.length }) });
  }, [issues]);

  const goToLine = (line: number) => {
    const editor = view.current;
    if (!editor || line > editor.state.doc.lines) return;
    const target = editor.state.doc.line(line);
    editor.dispatch({
      selection: { anchor: target.from, head: target.to },
      effects: EditorView.scrollIntoView(target.from, { y: "center" }),
    });
    editor.focus();
  };

  return (
    <div>
      <div id={`${id}-label`} className="block text-sm font-medium text-slate-700">
        {label}
      </div>
      <p id={`${id}-help`} className="text-xs text-slate-500">
        Type a key for suggestions (Ctrl+Space lists them), hover a key for its description. Tab indents;
        press Esc then Tab to move on.
      </p>
      <div
        ref={host}
        className="mt-1 overflow-hidden rounded-md border border-slate-300 bg-white shadow-sm focus-within:border-sky-500 focus-within:ring-2 focus-within:ring-sky-500/30"
      />
      <div id={`${id}-issues`} aria-live="polite">
        {issues.length > 0 ? (
          <ul
            className="mt-2 space-y-1 rounded-md border border-red-200 bg-red-50 p-3 text-sm text-red-800"
            data-testid="yaml-issues"
          >
            {issues.map((issue, index) => (
              // biome-ignore lint/suspicious/noArrayIndexKey: issues have no identity of their own
              <li key={index} className="flex gap-2">
                {issue.line !== undefined ? (
                  <button
                    type="button"
                    onClick={() => goToLine(issue.line!)}
                    className="shrink-0 font-mono font-semibold underline hover:text-red-600"
                  >
                    Line {issue.line}
                  </button>
                ) : null}
                <span className="min-w-0 break-words">{withoutLine(issue)}</span>
              </li>
            ))}
          </ul>
        ) : null}
      </div>
    </div>
  );
}
