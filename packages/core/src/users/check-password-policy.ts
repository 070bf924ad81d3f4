import { badRequest } from "../errors";

export const MIN_PASSWORD_LENGTH = 10;
const MAX_PASSWORD_LENGTH = 256;

/** Length is the only rule: long passphrases beat composition rules. */
export function checkPasswordPolicy(password: string): void {
  if (password.length < MIN_PASSWORD_LENGTH) {
    throw badRequest(`Use a password of at least ${MIN_PASSWORD_LENGTH} characters.`);
  }
  if (password.length > MAX_PASSWORD_LENGTH) {
    throw badRequest(`Use a password of at most ${MAX_PASSWORD_LENGTH} characters.`);
  }
}
