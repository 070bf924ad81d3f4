/** The message to show for a failed tRPC call: field errors first, then the server's message. */
export function errorMessage(error: unknown): string {
  const data = (error as { data?: { fieldErrors?: Record<string, string[] | undefined> | null } } | null)
    ?.data;
  const field = data?.fieldErrors ? Object.values(data.fieldErrors).flat()[0] : undefined;
  if (field) return field;
  if (error instanceof Error && error.message) return error.message;
  return "Something went wrong. Try again.";
}
