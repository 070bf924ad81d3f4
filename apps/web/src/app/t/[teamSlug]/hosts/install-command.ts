/** The one-line agent install, as served by /install.sh (packages/templates render-install-script). */
export function installCommand(publicUrl: string, token: string): string {
  return `curl -fsSL ${publicUrl.replace(/\/+$/, "")}/install.sh | sh -s -- --token ${token}`;
}

/** "role=web, env=prod" -> { role: "web", env: "prod" }; null when a part is not key=value. */
export function parseLabels(text: string): Record<string, string> | null {
  const labels: Record<string, string> = {};
  for (const part of text.split(/[,\s]+/).filter(Boolean)) {
    const eq = part.indexOf("=");
    if (eq <= 0) return null;
    labels[part.slice(0, eq)] = part.slice(eq + 1);
  }
  return labels;
}

export function formatLabels(labels: Record<string, string>): string {
  return Object.entries(labels)
    .map(([k, v]) => `${k}=${v}`)
    .join(", ");
}
