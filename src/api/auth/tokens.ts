import { createHash, randomBytes, timingSafeEqual } from "node:crypto";

/** Random bytes in a token's secret: 256 bits, so a plain SHA-256 of it is a safe thing to store. */
const SECRET_BYTES = 32;

/** A new token for `name`: "<name>.<43 base64url characters>". The name part lets a node find it. */
export function newToken(name: string): string {
  return `${name}.${randomBytes(SECRET_BYTES).toString("base64url")}`;
}

/** The name a token claims (everything before its last dot), or undefined when it has none. */
export function tokenName(token: string): string | undefined {
  const dot = token.lastIndexOf(".");
  return dot <= 0 ? undefined : token.slice(0, dot);
}

export function hashToken(token: string): Buffer {
  return createHash("sha256").update(token, "utf8").digest();
}

/** Whether `token` hashes to `hash`, in time that does not depend on where they differ. */
export function tokenMatches(token: string, hash: Buffer): boolean {
  const mine = hashToken(token);
  return mine.length === hash.length && timingSafeEqual(mine, hash);
}
