// The JSON column readers: what a hand-edited or older-format row turns into. Pure: no database.
import { describe, expect, it } from "vitest";
import { readAuditData } from "./audit-data";
import { displayDeploymentCommit } from "./deployment-source";
import { displayHostFacts, readHostFacts } from "./host-facts";
import { readJobPayload } from "./job-payload";
import { displayLabels, readLabels } from "./labels";
import { readWebhookAttemptLog } from "./webhook-attempt-log";

describe("labels", () => {
  it("reads a string map as stored", () => {
    expect(readLabels({ env: "prod", zone: "a" })).toEqual({ env: "prod", zone: "a" });
    expect(displayLabels({ env: "prod" })).toEqual({ env: "prod" });
  });

  it("refuses labels that are not a string map where targets depend on them, and shows none", () => {
    expect(() => readLabels({ env: 1 })).toThrow("a host's labels column is unreadable (env:");
    expect(() => readLabels(["env=prod"])).toThrow("a host's labels column is unreadable (labels:");
    expect(() => readLabels(null)).toThrow(/unreadable/);
    expect(displayLabels({ env: 1 })).toEqual({});
    expect(displayLabels(null)).toEqual({});
  });
});

describe("host facts", () => {
  it("keeps every reported fact and reads arch", () => {
    const facts = { arch: "arm64", os: "debian", cpus: 2 };
    expect(readHostFacts(facts)).toEqual(facts);
    expect(displayHostFacts(facts).arch).toBe("arm64");
  });

  it("refuses a non-string arch for upgrades and shows unreadable facts as none", () => {
    expect(() => readHostFacts({ arch: 64 })).toThrow("a host's facts column is unreadable (arch:");
    expect(() => readHostFacts("x64")).toThrow(/unreadable \(facts:/);
    expect(displayHostFacts("x64")).toEqual({});
  });
});

describe("webhook attempt log", () => {
  it("keeps readable attempts in order and leaves out the rest", () => {
    const good = { at: "2026-01-01T00:00:00.000Z", status: 500, error: "HTTP 500", ms: 12 };
    const failed = { at: "2026-01-01T00:01:00.000Z", status: null, error: "timed out", ms: 10000 };
    expect(readWebhookAttemptLog([good, { at: 1 }, "x", failed])).toEqual([good, failed]);
    expect(readWebhookAttemptLog({ 0: good })).toEqual([]);
    expect(readWebhookAttemptLog(null)).toEqual([]);
  });
});

describe("audit data", () => {
  it("reads an object and turns anything else into none", () => {
    expect(readAuditData({ to: "SUCCEEDED" })).toEqual({ to: "SUCCEEDED" });
    expect(readAuditData(["SUCCEEDED"])).toEqual({});
    expect(readAuditData(null)).toEqual({});
  });
});

describe("job payload", () => {
  it("names the first problem of an unreadable payload", () => {
    expect(() => readJobPayload({})).toThrow("the job's stored payload is unreadable (workflow:");
    expect(() => readJobPayload(null)).toThrow("the job's stored payload is unreadable (payload:");
  });
});

describe("deployment source", () => {
  const sha = "a".repeat(40);
  it("shows the commit's first message line and author", () => {
    const source = {
      kind: "git",
      sha256: "b".repeat(64),
      commit: {
        sha,
        ref: "main",
        message: "Fix login\n\nDetails",
        author: "Ada <ada@example.test>",
        date: "2026-01-01",
      },
    };
    expect(displayDeploymentCommit(source)).toEqual({
      sha,
      ref: "main",
      subject: "Fix login",
      author: "Ada <ada@example.test>",
    });
  });

  it("shows none for no source, an upload, or an unreadable commit", () => {
    expect(displayDeploymentCommit(null)).toBeNull();
    expect(displayDeploymentCommit({ kind: "upload", sha256: "b".repeat(64) })).toBeNull();
    expect(displayDeploymentCommit({ commit: { sha: "not-a-sha" } })).toBeNull();
    expect(displayDeploymentCommit("junk")).toBeNull();
  });
});
