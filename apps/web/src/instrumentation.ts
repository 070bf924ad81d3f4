// Runs once when the server starts: importing env validates it, so a bad environment stops
// start-up with a message naming the variable instead of failing on the first request.
export async function register() {
  await import("./env");
}
