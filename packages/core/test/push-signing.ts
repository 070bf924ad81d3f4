// Test-only: push webhook requests the way each provider sends them (headers built from their
// documentation, independently of push-request.ts), for core and web tests.
import { createHmac, randomUUID } from "node:crypto";

export type TestProvider = "github" | "gitlab" | "gitea" | "forgejo" | "generic";
export const TEST_PROVIDERS: TestProvider[] = ["github", "gitlab", "gitea", "forgejo", "generic"];

const hmac = (secret: string, body: string) => createHmac("sha256", secret).update(body).digest("hex");

export interface TestPush {
  headers: Record<string, string>;
  body: string;
  deliveryId: string;
}

/** A signed push of `commit` to `ref` (a full ref, e.g. refs/heads/main). */
export function testPush(
  provider: TestProvider,
  secret: string,
  options: { ref?: string; commit: string; deliveryId?: string; event?: string },
): TestPush {
  const ref = options.ref ?? "refs/heads/main";
  const deliveryId = options.deliveryId ?? randomUUID();
  const json = "application/json";
  if (provider === "generic") {
    const body = JSON.stringify({ ref, commit: options.commit, deliveryId });
    return {
      body,
      deliveryId,
      headers: { "content-type": json, "x-capstan-signature": `sha256=${hmac(secret, body)}` },
    };
  }
  const head = {
    id: options.commit,
    message: "Fix the thing\n\nLonger text",
    author: { name: "Ada", email: "ada@example.test" },
  };
  if (provider === "gitlab") {
    const body = JSON.stringify({
      object_kind: "push",
      ref,
      before: "0".repeat(40),
      after: options.commit,
      checkout_sha: options.commit,
      commits: [head],
    });
    return {
      body,
      deliveryId,
      headers: {
        "content-type": json,
        "x-gitlab-event": options.event ?? "Push Hook",
        "x-gitlab-token": secret,
        "x-gitlab-event-uuid": deliveryId,
      },
    };
  }
  const body = JSON.stringify({ ref, before: "0".repeat(40), after: options.commit, head_commit: head });
  const event = options.event ?? "push";
  if (provider === "github")
    return {
      body,
      deliveryId,
      headers: {
        "content-type": json,
        "x-github-event": event,
        "x-github-delivery": deliveryId,
        "x-hub-signature-256": `sha256=${hmac(secret, body)}`,
      },
    };
  // Gitea and Forgejo also send GitHub's headers; the Gitea/Forgejo ones must win.
  return {
    body,
    deliveryId,
    headers: {
      "content-type": json,
      [`x-${provider}-event`]: event,
      [`x-${provider}-delivery`]: deliveryId,
      [`x-${provider}-signature`]: hmac(secret, body),
      "x-github-event": event,
      "x-github-delivery": deliveryId,
    },
  };
}

export const testCommit = () => randomUUID().replace(/-/g, "").padEnd(40, "a").slice(0, 40);
