// Server start-up (Node runtime only). Importing env validates it, so a bad environment stops
// start-up with a message naming the variable instead of failing on the first request.
try {
  await import("./env");
} catch (error) {
  // Next only logs a failing hook and keeps serving broken pages; stop instead.
  console.error(`Capstan cannot start: ${(error as Error).message}. Fix the environment and start again.`);
  process.exit(1);
}

// Before the first request: the agent API verifies request paths exactly as sent, and Next hands
// route handlers a normalised URL.
(await import("./server/agent/request-target")).recordRequestTargets();

// Every request carries its socket's peer address from here on (sign-in throttling keys on it).
(await import("./server/client-address")).stampPeerAddresses();

// A fresh install prints its one-time setup code.
await (await import("./server/announce-setup-code")).announceSetupCode();

// Agent long-poll listener, sweeps and job reaper (not during next build, which never runs this).
await (await import("./server/agent/engine")).startAgentEngine();

// Outgoing webhooks: moves audit events into the delivery outbox and sends them (every ~2 s).
(await import("./server/webhook-dispatcher")).startWebhooks();
