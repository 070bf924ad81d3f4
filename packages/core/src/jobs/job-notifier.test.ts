// One live long-poll per host: a new poll from a host ends the one it left waiting, so a host
// (or someone holding its key) cannot pile up held requests on the control plane.
import { describe, expect, it } from "vitest";
import { JobNotifier } from "./job-notifier";

describe("JobNotifier", () => {
  it("a new poll from a host replaces the waiting one; other hosts are untouched", async () => {
    const notifier = new JobNotifier();
    const first = notifier.subscribe("host-a");
    const other = notifier.subscribe("host-b");
    const waiting = first.next(60_000);
    const otherWaiting = other.next(60_000);
    const second = notifier.subscribe("host-a");
    await expect(waiting).resolves.toBe("replaced");
    // A replaced subscription stays replaced: a claim loop that comes back to wait returns at once.
    await expect(first.next(60_000)).resolves.toBe("replaced");
    first.close();
    expect(notifier.waiting).toBe(2);

    notifier.wakeHosts(["host-a", "host-b"]);
    await expect(second.next(60_000)).resolves.toBe("notified");
    await expect(otherWaiting).resolves.toBe("notified");
    second.close();
    other.close();
    expect(notifier.waiting).toBe(0);
  });
});
