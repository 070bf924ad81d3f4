// Runs once when the server starts: importing env validates it, so a bad environment stops
// start-up with a message naming the variable instead of failing on the first request.
export async function register() {
  await import("./env");
  // Agent long-poll listener, sweeps and job reaper: Node server only (not edge, not next build).
  if (process.env.NEXT_RUNTIME === "nodejs") await (await import("./server/agent/engine")).startAgentEngine();
}
