// What a `nix` service names: a flake reference and an attribute. Both reach `nix build` as ONE
// argv element (`<flake>#<attribute>`), never a shell, but Nix itself parses them, so both are
// allowlisted: no whitespace, quotes, `$`, `;`, backticks, a leading `-` (an option to Nix) or a
// second `#`. Kept free of imports from spec.ts so spec.ts can compose it.
import { z } from "zod";

/** Path characters allowed in a flake reference (no `..`, checked separately). */
const PATH_CHARS = "[A-Za-z0-9._/+-]";
/** `?ref=main&rev=<sha>&dir=sub`: the only query parameters a flake URL may carry. */
const QUERY = "(\\?(ref|rev|dir)=[A-Za-z0-9._/-]+(&(ref|rev|dir)=[A-Za-z0-9._/-]+)*)?";
const HOST = "[A-Za-z0-9]([A-Za-z0-9.-]{0,252})(:[0-9]{1,5})?";

/**
 * A local flake (`/srv/app` or `path:/srv/app`, absolute) or a remote one (`https://...`,
 * `git+https://...`, `git+ssh://git@host/...`, `git+file:///...`).
 */
export const FLAKE_REF_PATTERN = new RegExp(
  `^((path:)?/${PATH_CHARS}*${QUERY}|(https|git\\+https)://${HOST}/${PATH_CHARS}*${QUERY}|git\\+ssh://([a-z_][a-z0-9_-]{0,31}@)?${HOST}/${PATH_CHARS}*${QUERY}|git\\+file:///${PATH_CHARS}*${QUERY})$`,
);

/** `default`, `hello`, `packages.x86_64-linux.default`: dotted Nix identifiers. */
export const NIX_ATTRIBUTE_PATTERN = /^[A-Za-z_][A-Za-z0-9_-]{0,99}(\.[A-Za-z_][A-Za-z0-9_-]{0,99}){0,7}$/;

export const flakeRefSchema = z
  .string()
  .max(1024)
  .superRefine((ref, ctx) => {
    const fail = (message: string) => ctx.addIssue({ code: "custom", message });
    if (/[\0\r\n]/.test(ref)) return fail("must be a single line (no newline, carriage return or NUL)");
    if (ref.startsWith("-")) return fail("must not start with '-' (it would be read as an option to nix)");
    if (ref.includes("#")) return fail("must not contain '#': put the attribute in `attribute`");
    if (ref.split(/[/?&=]/).includes(".."))
      return fail("must not contain '..': name the flake's folder by its absolute path");
    if (!FLAKE_REF_PATTERN.test(ref))
      fail(
        "must be an absolute path (/srv/app), path:/srv/app, or an https://, git+https://, git+ssh:// or git+file:// URL, of letters, digits and . _ / + - only (query: ?ref=, ?rev=, ?dir=)",
      );
  });

export const nixAttributeSchema = z
  .string()
  .regex(
    NIX_ATTRIBUTE_PATTERN,
    'must be a flake attribute such as "default", "hello" or "packages.x86_64-linux.default" (letters, digits, _ and -, joined by dots)',
  );
