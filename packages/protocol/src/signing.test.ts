import { describe, expect, it } from "vitest";
import { publicKeySchema } from "./common";
import {
  CLOCK_SKEW_SECONDS,
  exportAgentPublicKey,
  generateAgentKeyPair,
  hashBody,
  importAgentPrivateKey,
  importAgentPublicKey,
  readClaimedHostId,
  SignatureError,
  signAgentRequest,
  verifyAgentRequest,
} from "./signing";

const hostId = "4b1d7a5e-8f0a-4c3e-9d2b-1a2b3c4d5e6f";

describe("request signing", () => {
  const pair = generateAgentKeyPair();
  const privateKey = importAgentPrivateKey(pair.privateKeyPem);
  const publicKey = importAgentPublicKey(pair.publicKey);
  const body = JSON.stringify({ waitSeconds: 1 });
  const sign = (extra: Partial<Parameters<typeof signAgentRequest>[0]> = {}) =>
    signAgentRequest({ hostId, privateKey, method: "POST", path: "/api/agent/v1/poll", body, ...extra });
  const verify = (token: string, extra: Partial<Parameters<typeof verifyAgentRequest>[1]> = {}) =>
    verifyAgentRequest(token, {
      publicKey,
      method: "POST",
      path: "/api/agent/v1/poll",
      bodyHash: hashBody(body),
      ...extra,
    });

  it("exports a public key the enrollment schema accepts, and derives it from the private key", () => {
    expect(publicKeySchema.safeParse(pair.publicKey).success).toBe(true);
    expect(exportAgentPublicKey(privateKey)).toBe(pair.publicKey);
  });

  it("verifies its own signature and yields the host id and nonce", async () => {
    const token = await sign();
    expect(readClaimedHostId(token)).toBe(hostId);
    const verified = await verify(token);
    expect(verified.hostId).toBe(hostId);
    expect(verified.nonce).toMatch(/^[0-9a-f-]{36}$/);
    const other = await verify(await sign());
    expect(other.nonce).not.toBe(verified.nonce);
  });

  it("refuses a signature made for another method, path or body", async () => {
    const token = await sign();
    await expect(verify(token, { path: "/api/agent/v1/heartbeat" })).rejects.toMatchObject({
      reason: "MISMATCH",
    });
    await expect(verify(token, { method: "GET" })).rejects.toMatchObject({ reason: "MISMATCH" });
    await expect(verify(token, { bodyHash: hashBody("{}") })).rejects.toMatchObject({ reason: "MISMATCH" });
  });

  it("refuses a signature from another key", async () => {
    const stranger = importAgentPublicKey(generateAgentKeyPair().publicKey);
    await expect(verify(await sign(), { publicKey: stranger })).rejects.toBeInstanceOf(SignatureError);
  });

  it("accepts clock skew up to the documented limit and no more", async () => {
    const now = Math.floor(Date.now() / 1000);
    // Host clock ahead by less than the skew: accepted.
    await expect(
      verify(await sign({ nowSeconds: now + CLOCK_SKEW_SECONDS - 5 }), { nowSeconds: now }),
    ).resolves.toBeTruthy();
    // Host clock far ahead: refused.
    await expect(verify(await sign({ nowSeconds: now + 120 }), { nowSeconds: now })).rejects.toBeInstanceOf(
      SignatureError,
    );
    // Expired long ago (host clock behind by more than lifetime + skew): refused as expired.
    await expect(verify(await sign({ nowSeconds: now - 120 }), { nowSeconds: now })).rejects.toMatchObject({
      reason: "EXPIRED",
    });
  });

  it("caps the lifetime a client may ask for at 60 s", async () => {
    const token = await sign({ lifetimeSeconds: 3600 });
    const [, payload] = token.split(".");
    const claims = JSON.parse(Buffer.from(payload!, "base64url").toString());
    expect(claims.exp - claims.iat).toBeLessThanOrEqual(60);
  });

  it("refuses tampered claims, alg none and foreign audiences", async () => {
    const token = await sign();
    const [h, p, sig] = token.split(".") as [string, string, string];
    const claims = JSON.parse(Buffer.from(p, "base64url").toString());
    const forged = Buffer.from(JSON.stringify({ ...claims, sub: "another-host" })).toString("base64url");
    await expect(verify(`${h}.${forged}.${sig}`)).rejects.toMatchObject({ reason: "BAD_SIGNATURE" });
    const none = Buffer.from(JSON.stringify({ alg: "none", typ: "capstan-agent+jwt" })).toString("base64url");
    await expect(verify(`${none}.${p}.`)).rejects.toBeInstanceOf(SignatureError);
    await expect(verify(`${none}.${p}.${sig}`)).rejects.toMatchObject({ reason: "BAD_SIGNATURE" });
    const { SignJWT } = await import("jose");
    const otherAudience = await new SignJWT({ htm: "POST", htu: "/api/agent/v1/poll", bsh: hashBody(body) })
      .setProtectedHeader({ alg: "EdDSA", typ: "capstan-agent+jwt" })
      .setSubject(hostId)
      .setAudience("someone-else")
      .setIssuedAt()
      .setExpirationTime("30s")
      .setJti("n-1")
      .sign(privateKey);
    await expect(verify(otherAudience)).rejects.toMatchObject({ reason: "BAD_SIGNATURE" });
  });

  it("rejects garbage tokens with a typed error", () => {
    expect(() => readClaimedHostId("not-a-jwt")).toThrow(SignatureError);
  });
});
