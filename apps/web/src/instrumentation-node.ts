// Server start-up (Node runtime only). Importing env validates it, so a bad environment stops
// start-up with a message naming the variable instead of failing on the first request.
let frontToken: string | undefined;
try {
  frontToken = (await import("./env")).env.CAPSTAN_FRONT_TOKEN;
} catch (error) {
  // Next only logs a failing hook and keeps serving broken pages; stop instead.
  console.error(`Capstan cannot start: ${(error as Error).message}. Fix the environment and start again.`);
  process.exit(1);
}

// Before the first request: every request carries its socket's peer address (sign-in throttling)
// and its target exactly as sent (the agent API verifies signatures over it).
(await import("./server/request-stamps")).stampRequests(frontToken);

// A fresh install prints its one-time setup code.
await (await import("./server/announce-setup-code")).announceSetupCode();

// Agent long-poll listener, sweeps and job reaper (not during next build, which never runs this).
// Behind the lean agent server the engine runs there, where the long-polls are; this process is
// its child and leaves with it (its IPC channel closes even when it is killed).
if (frontToken) process.once("disconnect", () => process.exit(0));
else await (await import("./server/agent/engine")).startAgentEngine();

// Outgoing webhooks: moves audit events into the delivery outbox and sends them (every ~2 s).
(await import("./server/webhook-dispatcher")).startWebhooks();

// Queued last-contact times (core agents/contact-batcher.ts) are written when asked to stop; Next's
// own signal handler waits for open requests before exiting, which gives the flush its time.
(await import("./server/contact-flush")).flushContactsOnStop();
