import { describe, expect, it } from "vitest";
import { SIGN_IN_TWO_FACTOR_INVALID, SIGN_IN_TWO_FACTOR_NEEDED, signInErrorMessage } from "./sign-in-error";

describe("signInErrorMessage", () => {
  it("names wrong credentials, passes the rate-limit text and hides anything else", () => {
    expect(signInErrorMessage("CredentialsSignin")).toBe("Wrong email or password.");
    const limited = "Too many failed sign-ins for this account. Wait 15 minutes and try again.";
    expect(signInErrorMessage(limited)).toBe(limited);
    expect(signInErrorMessage("Too many failed sign-ins <script>alert(1)</script>")).toBe(
      "Sign-in failed. Try again.",
    );
    expect(signInErrorMessage("Configuration")).toBe("Sign-in failed. Try again.");
    expect(signInErrorMessage(undefined)).toBeNull();
  });

  it("asks for the second factor, and says when a code was refused", () => {
    expect(signInErrorMessage(SIGN_IN_TWO_FACTOR_NEEDED)).toMatch(/^Enter the 6-digit code/);
    expect(signInErrorMessage(SIGN_IN_TWO_FACTOR_INVALID)).toMatch(/^That code is wrong or was used already/);
  });

  it("explains an IdP sign-in that was refused, and not for inherited names", () => {
    expect(signInErrorMessage("OidcUnverifiedEmail")).toMatch(/has not verified your email address/);
    expect(signInErrorMessage("OidcNoTeam")).toMatch(/Ask a team admin for an invitation/);
    expect(signInErrorMessage("toString")).toBe("Sign-in failed. Try again.");
    expect(signInErrorMessage("__proto__")).toBe("Sign-in failed. Try again.");
  });
});
