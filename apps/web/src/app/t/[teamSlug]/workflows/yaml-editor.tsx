"use client";
// A plain textarea with a line-number gutter and the validator's issues shown at their lines
// (gutter marker + highlighted line + a list that jumps to the line). No editor dependency: the
// textarea keeps native undo, selection, screen-reader and keyboard behaviour.
import { clsx } from "clsx";
import { useMemo, useRef } from "react";

export interface EditorIssue {
  line?: number;
  text: string;
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
  const textarea = useRef<HTMLTextAreaElement>(null);
  const gutter = useRef<HTMLDivElement>(null);
  const highlight = useRef<HTMLDivElement>(null);
  const lines = value.split("\n");
  const byLine = useMemo(() => {
    const map = new Map<number, string[]>();
    for (const issue of issues) {
      if (issue.line === undefined) continue;
      map.set(issue.line, [...(map.get(issue.line) ?? []), issue.text]);
    }
    return map;
  }, [issues]);

  const syncScroll = () => {
    const t = textarea.current;
    if (!t) return;
    if (gutter.current) gutter.current.scrollTop = t.scrollTop;
    if (highlight.current)
      highlight.current.style.transform = `translate(${-t.scrollLeft}px, ${-t.scrollTop}px)`;
  };

  const goToLine = (line: number) => {
    const t = textarea.current;
    if (!t) return;
    const start = lines.slice(0, line - 1).reduce((n, l) => n + l.length + 1, 0);
    const end = start + (lines[line - 1]?.length ?? 0);
    t.focus();
    t.setSelectionRange(start, end);
    // 24px per line (leading-6); keep the line a few rows below the top.
    t.scrollTop = Math.max(0, (line - 4) * 24);
    syncScroll();
  };

  return (
    <div>
      <label htmlFor={id} className="block text-sm font-medium text-slate-700">
        {label}
      </label>
      <div className="relative mt-1 flex h-[28rem] overflow-hidden rounded-md border border-slate-300 bg-white font-mono text-sm leading-6 shadow-sm focus-within:border-sky-500 focus-within:ring-2 focus-within:ring-sky-500/30">
        <div
          ref={gutter}
          aria-hidden
          className="w-12 shrink-0 overflow-hidden border-r border-slate-200 bg-slate-50 py-2 text-right text-slate-400 select-none"
          data-testid="yaml-gutter"
        >
          {lines.map((_, index) => {
            const n = index + 1;
            const problems = byLine.get(n);
            return (
              <div
                key={n}
                data-line={n}
                data-error={problems ? "true" : undefined}
                title={problems?.join("\n")}
                className={clsx("h-6 pr-2", problems && "bg-red-100 font-semibold text-red-700")}
              >
                {problems ? "● " : ""}
                {n}
              </div>
            );
          })}
        </div>
        <div className="relative min-w-0 flex-1 overflow-hidden">
          <div ref={highlight} aria-hidden className="pointer-events-none absolute inset-x-0 top-0 py-2">
            {lines.map((_, index) => (
              <div
                // biome-ignore lint/suspicious/noArrayIndexKey: line numbers are the identity here
                key={index}
                className={clsx("h-6", byLine.has(index + 1) && "bg-red-50")}
              />
            ))}
          </div>
          <textarea
            ref={textarea}
            id={id}
            name={id}
            value={value}
            readOnly={readOnly}
            onChange={(e) => onChange(e.target.value)}
            onScroll={syncScroll}
            spellCheck={false}
            autoCapitalize="off"
            autoCorrect="off"
            wrap="off"
            aria-invalid={issues.length > 0}
            aria-describedby={`${id}-issues`}
            className="absolute inset-0 h-full w-full resize-none bg-transparent px-3 py-2 text-slate-900 outline-none"
          />
        </div>
      </div>
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
                <span className="min-w-0 break-words">
                  {issue.line !== undefined ? issue.text.replace(/ \((?:\S+ )?line \d+\)$/, "") : issue.text}
                </span>
              </li>
            ))}
          </ul>
        ) : null}
      </div>
    </div>
  );
}
