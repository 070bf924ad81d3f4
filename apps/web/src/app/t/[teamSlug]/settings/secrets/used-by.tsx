"use client";
// "Used by a, b" under a team secret or variable: the workflows whose latest revision names it.
import Link from "next/link";

export function UsedBy({
  workflows,
  href,
}: {
  workflows: { id: string; name: string }[];
  href: (workflowId: string) => string;
}) {
  return (
    <div className="text-xs text-slate-600" data-testid="used-by">
      {workflows.length === 0 ? (
        "Not used by any workflow's latest revision"
      ) : (
        <>
          Used by{" "}
          {workflows.map((w, i) => (
            <span key={w.id}>
              {i > 0 ? ", " : ""}
              <Link className="underline" href={href(w.id)}>
                {w.name}
              </Link>
            </span>
          ))}
        </>
      )}
    </div>
  );
}
