import { useSyncExternalStore } from "react";

const never = () => () => {};

/**
 * False on the server and until React has hydrated the page, then true. Forms that carry a
 * password keep their submit button disabled until then: a click before hydration would submit
 * the form natively, without our handler, and must never send a password anywhere by itself.
 */
export function useHydrated(): boolean {
  return useSyncExternalStore(
    never,
    () => true,
    () => false,
  );
}
