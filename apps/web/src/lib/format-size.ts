/** Memory and disk sizes as people read them: "512 KiB", "84 MiB", "3.5 GiB", "12 GiB". */
export function formatSize(n: number): string {
  const gib = n / 1024 ** 3;
  if (gib >= 1) return `${gib.toFixed(gib >= 10 ? 0 : 1)} GiB`;
  if (n >= 1024 ** 2) return `${Math.round(n / 1024 ** 2)} MiB`;
  return `${Math.max(0, Math.round(n / 1024))} KiB`;
}
