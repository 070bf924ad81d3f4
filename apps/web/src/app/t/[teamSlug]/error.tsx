"use client";
import { ErrorNotice } from "@/components/ui";

export default function TeamError({
  error,
  reset,
}: {
  error: Error & { digest?: string };
  reset: () => void;
}) {
  return (
    <ErrorNotice
      title="This page could not be loaded"
      message={error.digest ? `The server reported an error (reference ${error.digest}).` : error.message}
      onRetry={reset}
    />
  );
}
