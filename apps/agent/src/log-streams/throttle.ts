// Token buckets for live logs: one per stream and one shared by every stream of the host, each
// bounding lines/s and bytes/s. A line either fits every bucket it passes or is dropped (and
// counted, so the viewer sees "[N lines dropped: stream throttled]"): a service printing 50 MB/s
// cannot flood the control plane, and the other streams of the host keep their share.

export interface RateLimits {
  linesPerSecond: number;
  bytesPerSecond: number;
}

/** Per stream: plenty for people reading, far below a flood. */
export const STREAM_LIMITS: RateLimits = { linesPerSecond: 500, bytesPerSecond: 256 * 1024 };
/** Per host, over all its streams. */
export const HOST_LIMITS: RateLimits = { linesPerSecond: 2000, bytesPerSecond: 1024 * 1024 };

export class TokenBucket {
  private lines: number;
  private bytes: number;
  private last: number;

  constructor(
    private readonly limits: RateLimits,
    private readonly now: () => number = Date.now,
  ) {
    // One second of burst.
    this.lines = limits.linesPerSecond;
    this.bytes = limits.bytesPerSecond;
    this.last = now();
  }

  private refill(): void {
    const t = this.now();
    const seconds = Math.max(0, t - this.last) / 1000;
    this.last = t;
    this.lines = Math.min(this.limits.linesPerSecond, this.lines + seconds * this.limits.linesPerSecond);
    this.bytes = Math.min(this.limits.bytesPerSecond, this.bytes + seconds * this.limits.bytesPerSecond);
  }

  fits(bytes: number): boolean {
    this.refill();
    return this.lines >= 1 && this.bytes >= bytes;
  }

  take(bytes: number): void {
    this.lines -= 1;
    this.bytes -= bytes;
  }
}

/** Admits a line only when every bucket has room for it; takes from all of them then. */
export function admit(buckets: readonly TokenBucket[], bytes: number): boolean {
  if (!buckets.every((b) => b.fits(bytes))) return false;
  for (const b of buckets) b.take(bytes);
  return true;
}
