// Right after a workflow is created from a catalogue template: what each of its secrets is for.
export function TemplateSecretHints({
  title,
  secrets,
}: {
  title: string;
  secrets: { name: string; purpose: string }[];
}) {
  return (
    <section
      aria-labelledby="template-secrets-title"
      className="mb-6 rounded-md border border-sky-200 bg-sky-50 p-4 text-sm text-sky-900"
    >
      <h2 id="template-secrets-title" className="font-semibold">
        Fill in the secrets of the {title} template before the first deploy
      </h2>
      <dl className="mt-2 space-y-1">
        {secrets.map((s) => (
          <div key={s.name}>
            <dt className="inline font-mono font-medium">{s.name}</dt>:{" "}
            <dd className="inline">{s.purpose}</dd>
          </div>
        ))}
      </dl>
    </section>
  );
}
