"use client";
import { useState } from "react";
import { Button, Field } from "@/components/ui";

export const EVENT_LABELS: Record<string, string> = {
  "deployment.succeeded": "Deployment succeeded",
  "deployment.failed": "Deployment failed",
  "deployment.unknown": "Deployment outcome unknown",
  "host.offline": "Host went offline",
  "host.alert": "Host alert (disk, memory, restart loop)",
  "certificate.alert": "Certificate expiring within 14 days or issuance failed",
};

export interface WebhookFormValues {
  name: string;
  url: string;
  format: "JSON" | "SLACK";
  events: string[];
  enabled: boolean;
}

/** Create and edit share this form; the server validates again (URL rules, names, events). */
export function WebhookForm({
  initial,
  submitLabel,
  pending,
  onSubmit,
}: {
  initial?: WebhookFormValues;
  submitLabel: string;
  pending: boolean;
  onSubmit: (values: WebhookFormValues) => void;
}) {
  const [values, setValues] = useState<WebhookFormValues>(
    initial ?? {
      name: "",
      url: "",
      format: "JSON",
      events: ["deployment.failed", "deployment.unknown"],
      enabled: true,
    },
  );
  const prefix = initial ? "edit-webhook" : "new-webhook";
  const toggle = (event: string) =>
    setValues((v) => ({
      ...v,
      events: v.events.includes(event) ? v.events.filter((e) => e !== event) : [...v.events, event],
    }));
  return (
    <form
      className="space-y-4"
      onSubmit={(e) => {
        e.preventDefault();
        onSubmit({ ...values, name: values.name.trim(), url: values.url.trim() });
      }}
    >
      <div className="grid gap-4 sm:grid-cols-2">
        <Field
          id={`${prefix}-name`}
          label="Name"
          required
          maxLength={80}
          placeholder="#deploys"
          value={values.name}
          onChange={(e) => setValues({ ...values, name: e.target.value })}
        />
        <div className="space-y-1">
          <label htmlFor={`${prefix}-format`} className="block text-sm font-medium text-slate-700">
            Payload
          </label>
          <select
            id={`${prefix}-format`}
            value={values.format}
            onChange={(e) => setValues({ ...values, format: e.target.value as "JSON" | "SLACK" })}
            className="block w-full rounded-md border border-slate-300 bg-white px-2 py-2 text-sm"
          >
            <option value="JSON">Capstan JSON</option>
            <option value="SLACK">Slack-compatible text</option>
          </select>
        </div>
      </div>
      <Field
        id={`${prefix}-url`}
        label="Receiver URL"
        type="url"
        required
        maxLength={2000}
        placeholder="https://hooks.example.com/capstan"
        hint="http(s) only, without a user name or password. Receivers check the Capstan-Signature header."
        value={values.url}
        onChange={(e) => setValues({ ...values, url: e.target.value })}
      />
      <fieldset>
        <legend className="text-sm font-medium text-slate-700">Events</legend>
        <div className="mt-2 grid gap-2 sm:grid-cols-2">
          {Object.entries(EVENT_LABELS).map(([event, label]) => (
            <label key={event} className="flex items-center gap-2 text-sm text-slate-700">
              <input type="checkbox" checked={values.events.includes(event)} onChange={() => toggle(event)} />
              {label} <span className="font-mono text-xs text-slate-400">{event}</span>
            </label>
          ))}
        </div>
      </fieldset>
      <label className="flex items-center gap-2 text-sm text-slate-700">
        <input
          type="checkbox"
          checked={values.enabled}
          onChange={(e) => setValues({ ...values, enabled: e.target.checked })}
        />
        Enabled (disabling gives up deliveries not sent yet)
      </label>
      <Button type="submit" disabled={pending || values.events.length === 0}>
        {pending ? "Saving…" : submitLabel}
      </Button>
    </form>
  );
}
