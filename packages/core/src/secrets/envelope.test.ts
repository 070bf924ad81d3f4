import { randomBytes, randomUUID } from "node:crypto";
import { describe, expect, it } from "vitest";
import {
  EnvelopeError,
  generateDataKey,
  openSecret,
  sealSecret,
  unwrapDataKey,
  wrapDataKey,
  wrappedDataKeyId,
} from "./envelope";

const ref = () => ({ teamId: randomUUID(), workflowId: randomUUID(), name: "DB_PASSWORD" });

describe("envelope encryption", () => {
  it("round-trips a value, and the same value seals differently each time", () => {
    const dek = generateDataKey();
    const where = ref();
    const value = "pässwörd with spaces = and 'quotes'";
    const a = sealSecret(dek, where, value);
    const b = sealSecret(dek, where, value);
    expect(a.equals(b)).toBe(false);
    expect(a.includes(Buffer.from(value))).toBe(false);
    expect(openSecret(dek, where, a)).toBe(value);
    expect(openSecret(dek, where, b)).toBe(value);
  });

  it("fails when the ciphertext is altered or bound to another team, workflow or name", () => {
    const dek = generateDataKey();
    const where = ref();
    const sealed = sealSecret(dek, where, "s3cret");
    for (let i = 0; i < sealed.length; i += 7) {
      const tampered = Buffer.from(sealed);
      tampered[i] = tampered[i]! ^ 0x01;
      expect(() => openSecret(dek, where, tampered)).toThrow(EnvelopeError);
    }
    expect(() => openSecret(dek, { ...where, teamId: randomUUID() }, sealed)).toThrow(EnvelopeError);
    expect(() => openSecret(dek, { ...where, workflowId: randomUUID() }, sealed)).toThrow(EnvelopeError);
    expect(() => openSecret(dek, { ...where, name: "OTHER" }, sealed)).toThrow(EnvelopeError);
    expect(() => openSecret(generateDataKey(), where, sealed)).toThrow(EnvelopeError);
    expect(() => openSecret(dek, where, sealed.subarray(0, 10))).toThrow(/malformed/);
  });

  it("wraps a data key for one team under one KEK", () => {
    const dek = generateDataKey();
    const kek = { id: "k1", key: randomBytes(32) };
    const teamId = randomUUID();
    const wrapped = wrapDataKey(dek, kek, teamId);
    expect(wrapped.includes(dek.key)).toBe(false);
    expect(wrappedDataKeyId(wrapped)).toBe(dek.id);
    const opened = unwrapDataKey(wrapped, kek, teamId);
    expect(opened.id).toBe(dek.id);
    expect(opened.key.equals(dek.key)).toBe(true);
    expect(() => unwrapDataKey(wrapped, kek, randomUUID())).toThrow(EnvelopeError);
    expect(() => unwrapDataKey(wrapped, { id: "k2", key: kek.key }, teamId)).toThrow(EnvelopeError);
    expect(() => unwrapDataKey(wrapped, { id: "k1", key: randomBytes(32) }, teamId)).toThrow(EnvelopeError);
    const otherId = Buffer.from(wrapped);
    otherId[3] = otherId[3]! ^ 0xff;
    expect(() => unwrapDataKey(otherId, kek, teamId)).toThrow(EnvelopeError);
  });
});
