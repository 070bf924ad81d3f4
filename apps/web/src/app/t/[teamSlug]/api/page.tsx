import type { Metadata } from "next";
import { headers } from "next/headers";
import Link from "next/link";
import { Badge, Card, PageHeader, RoleBadge } from "@/components/ui";
import { env } from "@/env";
import { buildApiReference, type ReferenceOperation } from "@/server/api/api-reference";
import { buildOpenApiDocument } from "@/server/api/openapi";

export const metadata: Metadata = { title: "API" };

/** This control plane's URL as CI should call it: the configured public URL, else this request's. */
async function baseUrl(): Promise<string> {
  if (env.CAPSTAN_PUBLIC_URL) return env.CAPSTAN_PUBLIC_URL.replace(/\/+$/, "");
  const h = await headers();
  const host = h.get("x-forwarded-host") ?? h.get("host") ?? "localhost:3000";
  const proto = h.get("x-forwarded-proto") ?? (host.startsWith("localhost") ? "http" : "https");
  return `${proto.split(",")[0]}://${host.split(",")[0]}`;
}

// Passed as expressions: the role prop is the badge's, not an ARIA role.
const ROLES = { viewer: "VIEWER", deployer: "DEPLOYER", admin: "ADMIN" };

const EXIT_CODES: [string, string][] = [
  ["0", "the deployment succeeded (or was accepted, without --wait)"],
  ["1", "the deployment failed, was cancelled or ended unknown"],
  ["2", "usage error, or CAPSTAN_URL / CAPSTAN_TOKEN missing"],
  ["3", "still running when --timeout passed"],
  ["4", "refused: invalid workflow, bad token, role too low, not found"],
  ["5", "control plane unreachable or failing"],
];

export default async function ApiPage({ params }: { params: Promise<{ teamSlug: string }> }) {
  const { teamSlug } = await params;
  const url = await baseUrl();
  const sections = buildApiReference(buildOpenApiDocument({ serverUrl: url }), url);
  return (
    <div className="space-y-8">
      <PageHeader
        title="API"
        description="Deploy from CI and read this team's hosts, workflows and deployments over HTTP."
        actions={
          <a
            href="/api/v1/openapi.json"
            className="rounded-md border border-slate-300 bg-white px-4 py-2 text-sm font-medium text-slate-800 shadow-sm hover:bg-slate-50"
          >
            openapi.json
          </a>
        }
      />
      <Card className="space-y-4 p-5">
        <h2 className="text-lg font-semibold text-slate-900">Quick start</h2>
        <p className="text-sm text-slate-600">
          Create a token on the{" "}
          <Link href={`/t/${teamSlug}/team`} className="font-medium text-sky-700 underline">
            Team page
          </Link>{" "}
          (API tokens). A token acts for this team with its role: <RoleBadge role={ROLES.viewer} /> reads,{" "}
          <RoleBadge role={ROLES.deployer} /> also deploys and cancels, <RoleBadge role={ROLES.admin} /> may
          also deploy a changed capstan.yaml (which saves a new revision). Send it as{" "}
          <code className="rounded bg-slate-100 px-1">Authorization: Bearer cst_…</code>.
        </p>
        <p className="text-sm text-slate-600">
          Install the <code className="rounded bg-slate-100 px-1">capstan</code> CLI (needs Node.js 20 or
          newer; installs to ~/.local/bin) and log in once; the token is asked for, not typed on the command
          line:
        </p>
        <Code>{`curl -fsSL ${url}/cli | sh
capstan login --url ${url}`}</Code>
        <p className="text-sm text-slate-600">
          Or{" "}
          <a href="/cli/capstan.mjs" download className="font-medium text-sky-700 underline">
            download capstan.mjs
          </a>{" "}
          (one file, run it with <code className="rounded bg-slate-100 px-1">node capstan.mjs</code>). In CI,
          pass the control plane and token through the environment instead:
        </p>
        <Code>{`curl -fsSL ${url}/cli/capstan.mjs -o capstan.mjs
export CAPSTAN_URL=${url}
export CAPSTAN_TOKEN=cst_...   # keep it in your CI's secret store
node capstan.mjs deploy capstan.yaml --wait --timeout 600`}</Code>
        <div>
          <h3 className="text-sm font-semibold text-slate-900">capstan deploy / status exit codes</h3>
          <dl className="mt-2 grid grid-cols-[3rem_1fr] gap-y-1 text-sm">
            {EXIT_CODES.map(([code, meaning]) => (
              <div key={code} className="contents">
                <dt className="font-mono text-slate-900">{code}</dt>
                <dd className="text-slate-600">{meaning}</dd>
              </div>
            ))}
          </dl>
        </div>
      </Card>
      {sections.map((section) => (
        <section key={section.tag} aria-labelledby={`tag-${section.tag}`} className="space-y-3">
          <div>
            <h2 id={`tag-${section.tag}`} className="text-lg font-semibold text-slate-900">
              {section.tag}
            </h2>
            {section.description ? <p className="text-sm text-slate-600">{section.description}</p> : null}
          </div>
          {section.operations.map((op) => (
            <Operation key={op.id} op={op} />
          ))}
        </section>
      ))}
    </div>
  );
}

function Code({ children }: { children: string }) {
  return (
    <pre className="overflow-x-auto rounded-md bg-slate-900 p-3 text-xs leading-relaxed text-slate-100">
      <code>{children}</code>
    </pre>
  );
}

/** Markdown-style `code` spans in descriptions rendered as code. */
function WithCode({ text }: { text: string }) {
  return text.split(/`([^`]+)`/).map((part, i) =>
    i % 2 === 1 ? (
      // biome-ignore lint/suspicious/noArrayIndexKey: the parts of one fixed string
      <code key={i} className="rounded bg-slate-100 px-1 text-[0.85em]">
        {part}
      </code>
    ) : (
      part
    ),
  );
}

function Operation({ op }: { op: ReferenceOperation }) {
  return (
    <Card className="p-5">
      <details id={op.id} className="group">
        <summary className="flex cursor-pointer flex-wrap items-center gap-3">
          <Badge tone={op.method === "GET" ? "blue" : "green"}>{op.method}</Badge>
          <code className="text-sm font-medium text-slate-900">{op.path}</code>
          <span className="text-sm text-slate-600">{op.summary}</span>
          {op.minRole ? (
            <span className="ml-auto">
              <RoleBadge role={op.minRole} />
            </span>
          ) : (
            <span className="ml-auto text-xs text-slate-500">no token needed</span>
          )}
        </summary>
        <div className="mt-4 space-y-4">
          {op.description ? (
            <p className="text-sm text-slate-700">
              <WithCode text={op.description} />
            </p>
          ) : null}
          {op.fields.length > 0 ? (
            <table className="w-full text-left text-sm">
              <thead className="text-xs uppercase text-slate-500">
                <tr>
                  <th className="py-1 pr-3">Name</th>
                  <th className="py-1 pr-3">In</th>
                  <th className="py-1 pr-3">Type</th>
                  <th className="py-1">Description</th>
                </tr>
              </thead>
              <tbody className="divide-y divide-slate-100">
                {op.fields.map((f) => (
                  <tr key={`${f.where}-${f.name}`} className="align-top">
                    <td className="py-1.5 pr-3 font-mono text-slate-900">
                      {f.name}
                      {f.required ? <span className="text-red-600">*</span> : null}
                    </td>
                    <td className="py-1.5 pr-3 text-slate-600">{f.where}</td>
                    <td className="py-1.5 pr-3 font-mono text-xs text-slate-600">{f.type}</td>
                    <td className="py-1.5 text-slate-700">
                      <WithCode text={f.description} />
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          ) : null}
          <ul className="space-y-1 text-sm">
            {op.responses.map((r) => (
              <li key={r.status}>
                <span className="font-mono font-medium text-slate-900">{r.status}</span>{" "}
                <span className="text-slate-700">{r.description}</span>
                {r.schema ? <span className="font-mono text-xs text-slate-500"> → {r.schema}</span> : null}
              </li>
            ))}
          </ul>
          {op.examples.map((e) => (
            <div key={e.title} className="space-y-1">
              <p className="text-xs font-medium text-slate-500">{e.title}</p>
              <Code>{e.command}</Code>
            </div>
          ))}
        </div>
      </details>
    </Card>
  );
}
