// Optional SMTP: a real SMTP server (smtp-server) on a random loopback port is the sink. The
// invitation, the reset link and the failed-deploy notice arrive with working links; a dead
// server never fails the action and its password never reaches the log.
import type { AddressInfo } from "node:net";
import { mailFailedDeployments } from "@capstan/core/mail/mail-failed-deployments";
import { getInvitation } from "@capstan/core/members/get-invitation";
import { getPasswordReset } from "@capstan/core/password-resets/find-password-reset";
import { createTestDatabase, type TestDatabase } from "@capstan/db/testing";
import { requireComponents } from "@capstan/testkit";
import { SMTPServer } from "smtp-server";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestMember, createTestTeam, postgresComponent } from "../../../../packages/core/test/fixtures";
import { createSmtpMailer } from "./smtp-mailer";
import { createCaller } from "./trpc/root";

const PUBLIC_URL = "https://capstan.example.test";
const SMTP_PASSWORD = "smtp-Pa55word-never-logged";
const ok = requireComponents("web/mail", await postgresComponent());

interface Received {
  from: string;
  to: string[];
  raw: string;
  user: string | undefined;
}

async function eventually<T>(read: () => T | undefined, what: string, deadlineMs = 20_000): Promise<T> {
  const until = Date.now() + deadlineMs;
  for (;;) {
    const value = read();
    if (value !== undefined) return value;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

// Quoted-printable soft line breaks split long links; undo them to read the text.
const plain = (raw: string) => raw.replace(/=\r?\n/g, "").replace(/=3D/g, "=");

describe.skipIf(!ok)("email over SMTP", () => {
  let db: TestDatabase;
  let sink: SMTPServer;
  let port: number;
  const received: Received[] = [];
  const errors: string[] = [];

  beforeAll(async () => {
    db = await createTestDatabase();
    sink = new SMTPServer({
      disabledCommands: ["STARTTLS"],
      allowInsecureAuth: true,
      onAuth(auth, _session, callback) {
        if (auth.username === "capstan" && auth.password === SMTP_PASSWORD)
          callback(null, { user: auth.username });
        else callback(new Error("bad credentials"));
      },
      onData(stream, session, callback) {
        let raw = "";
        stream.on("data", (chunk: Buffer) => {
          raw += chunk.toString("utf8");
        });
        stream.on("end", () => {
          received.push({
            from: session.envelope.mailFrom ? session.envelope.mailFrom.address : "",
            to: session.envelope.rcptTo.map((r) => r.address),
            raw: plain(raw),
            user: session.user as string | undefined,
          });
          callback();
        });
      },
    });
    await new Promise<void>((resolve) => sink.listen(0, "127.0.0.1", resolve));
    port = (sink.server.address() as AddressInfo).port;
  });
  afterAll(async () => {
    await new Promise<void>((resolve) => sink?.close(resolve));
    await db?.drop();
  });

  const mailer = () =>
    createSmtpMailer({
      url: `smtp://capstan:${encodeURIComponent(SMTP_PASSWORD)}@127.0.0.1:${port}`,
      from: "Capstan <capstan@example.test>",
      publicUrl: PUBLIC_URL,
      onError: (message) => errors.push(message),
    });
  const mailTo = (address: string) => () => received.find((m) => m.to.includes(address));

  it("sends an invitation made with an email, with its one-time link", async () => {
    const team = await createTestTeam(db.prisma, "Mail");
    const { user } = await createTestMember(db.prisma, team.id, "ADMIN");
    const caller = createCaller({ prisma: db.prisma, userId: user.id, mailer: mailer() });
    const invitation = await caller.team.createInvitation({
      teamId: team.id,
      role: "DEPLOYER",
      email: "Invitee@Example.test",
    });
    expect(invitation.emailed).toBe(true);

    const mail = await eventually(mailTo("invitee@example.test"), "the invitation email");
    expect(mail.user).toBe("capstan");
    expect(mail.from).toBe("capstan@example.test");
    expect(mail.raw).toContain(`${PUBLIC_URL}/invite/${invitation.token}`);
    expect(mail.raw).toContain("as DEPLOYER");
    expect(await getInvitation(db.prisma, invitation.token)).toMatchObject({ role: "DEPLOYER" });

    const withoutEmail = await caller.team.createInvitation({ teamId: team.id, role: "VIEWER" });
    expect(withoutEmail.emailed).toBe(false);
  });

  it("mails a reset link only when the admin asks, to the user", async () => {
    const team = await createTestTeam(db.prisma, "Reset mail");
    const { user: admin } = await createTestMember(db.prisma, team.id, "ADMIN");
    const { user: member } = await createTestMember(db.prisma, team.id, "VIEWER");
    const caller = createCaller({ prisma: db.prisma, userId: admin.id, mailer: mailer() });
    const reset = await caller.members.issuePasswordReset({
      teamId: team.id,
      userId: member.id,
      sendEmail: true,
    });
    expect(reset.emailed).toBe(true);
    const mail = await eventually(mailTo(member.email), "the reset email");
    expect(mail.raw).toContain(`${PUBLIC_URL}/reset/${reset.token}`);
    expect(await getPasswordReset(db.prisma, reset.token)).toEqual({ email: member.email });
  });

  it("tells whoever started a failed deployment, with its page", async () => {
    const team = await createTestTeam(db.prisma, "Failing");
    const { user } = await createTestMember(db.prisma, team.id, "DEPLOYER");
    const workflow = await db.prisma.workflow.create({ data: { teamId: team.id, name: "web-shop" } });
    const revision = await db.prisma.revision.create({
      data: { workflowId: workflow.id, number: 1, source: "", spec: {}, contentHash: "x" },
    });
    const base = {
      teamId: team.id,
      workflowId: workflow.id,
      revisionId: revision.id,
      createdById: user.id,
      deadlineAt: new Date(),
    };
    const failed = await db.prisma.deployment.create({
      data: { ...base, status: "FAILED", error: "health check never passed" },
    });
    const succeeded = await db.prisma.deployment.create({ data: { ...base, status: "SUCCEEDED" } });
    expect(await mailFailedDeployments(db.prisma, mailer(), [failed.id, succeeded.id])).toBe(1);
    const mail = await eventually(mailTo(user.email), "the failed-deploy notice");
    expect(mail.raw).toContain("Deployment of web-shop failed");
    expect(mail.raw).toContain("health check never passed");
    expect(mail.raw).toContain(`${PUBLIC_URL}/t/${team.slug}/deployments/${failed.id}`);
  });

  it("logs an SMTP failure without the password and still creates the invitation", async () => {
    const team = await createTestTeam(db.prisma, "Dead SMTP");
    const { user } = await createTestMember(db.prisma, team.id, "OWNER");
    const closed = new SMTPServer({ disabledCommands: ["STARTTLS"] });
    await new Promise<void>((resolve) => closed.listen(0, "127.0.0.1", resolve));
    const deadPort = (closed.server.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(resolve));
    const before = errors.length;
    const dead = createSmtpMailer({
      url: `smtp://capstan:${encodeURIComponent(SMTP_PASSWORD)}@127.0.0.1:${deadPort}`,
      from: "capstan@example.test",
      publicUrl: PUBLIC_URL,
      onError: (message) => errors.push(message),
    });
    const caller = createCaller({ prisma: db.prisma, userId: user.id, mailer: dead });
    const invitation = await caller.team.createInvitation({
      teamId: team.id,
      role: "VIEWER",
      email: "nobody@example.test",
    });
    expect(await getInvitation(db.prisma, invitation.token)).toMatchObject({ role: "VIEWER" });
    const logged = await eventually(() => errors[before], "the logged SMTP failure");
    expect(logged).toContain(`127.0.0.1:${deadPort}`);
    expect(logged).not.toContain(SMTP_PASSWORD);
    expect(logged).not.toContain(encodeURIComponent(SMTP_PASSWORD));
  });
});
