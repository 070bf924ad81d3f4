import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { inspect } from "node:util";
import { afterAll, describe, expect, it } from "vitest";
import { fingerprintKeyId, loadKeyring, parseKeyring, requireKeyring } from "./keyring";

const b64 = (key: Buffer) => key.toString("base64");

describe("keyring", () => {
  const dir = mkdtempSync(join(tmpdir(), "capstan-keyring-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("takes a bare base64 key and names it by fingerprint", () => {
    const key = randomBytes(32);
    const ring = parseKeyring(` ${b64(key)}\n`);
    expect(ring.currentKeyId).toBe(fingerprintKeyId(key));
    expect(ring.currentKeyId).toMatch(/^kek-[0-9a-f]{16}$/);
    expect(ring.currentKey().equals(key)).toBe(true);
  });

  it("takes several id:base64 entries, the first current, with comments and url-safe base64", () => {
    const [a, b] = [randomBytes(32), randomBytes(32)];
    const ring = parseKeyring(
      `# new key\nk2:${b64(b).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "")}\n# old\nk1:${b64(a)}`,
    );
    expect(ring.currentKeyId).toBe("k2");
    expect(ring.keyIds).toEqual(["k2", "k1"]);
    expect(ring.key("k1")?.equals(a)).toBe(true);
    expect(ring.key("k2")?.equals(b)).toBe(true);
    expect(ring.has("k3")).toBe(false);
  });

  it("refuses wrong lengths, non-base64 and duplicate ids without echoing the material", () => {
    const short = b64(randomBytes(16));
    expect(() => parseKeyring(short)).toThrow(/decodes to 16 bytes/);
    try {
      parseKeyring(short);
    } catch (error) {
      expect((error as Error).message).not.toContain(short);
    }
    expect(() => parseKeyring("k1:not*base64")).toThrow(/not base64/);
    const key = b64(randomBytes(32));
    expect(() => parseKeyring(`k1:${key},k1:${b64(randomBytes(32))}`)).toThrow(/appears twice/);
    expect(() => parseKeyring("  \n# only a comment")).toThrow(/empty/);
  });

  it("never shows key bytes in JSON, inspect or string form", () => {
    const key = randomBytes(32);
    const ring = parseKeyring(`main:${b64(key)}`);
    for (const text of [JSON.stringify(ring), inspect(ring), String(ring), JSON.stringify({ ring })]) {
      expect(text).toContain("main");
      expect(text).not.toContain(b64(key));
      expect(text).not.toContain(key.toString("hex"));
    }
  });

  it("loads from the variable or a file, not both; null when neither", () => {
    const key = randomBytes(32);
    const file = join(dir, "key");
    writeFileSync(file, `${b64(key)}\n`, { mode: 0o600 });
    expect(loadKeyring({ file })?.currentKey().equals(key)).toBe(true);
    expect(loadKeyring({ value: b64(key) })?.currentKeyId).toBe(fingerprintKeyId(key));
    expect(loadKeyring({})).toBeNull();
    expect(() => loadKeyring({ value: b64(key), file })).toThrow(/not both/);
    expect(() => loadKeyring({ file: join(dir, "missing") })).toThrow(/ENOENT/);
    expect(() => requireKeyring(null)).toThrow(expect.objectContaining({ code: "UNAVAILABLE" }));
  });
});
