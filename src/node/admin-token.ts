import { readFileSync } from "node:fs";
import { hashToken } from "../api/auth/tokens.js";
import { ConfigError } from "../errors.js";

/** Shorter than this is guessable; `openssl rand -hex 32` gives 64 characters. */
export const ADMIN_TOKEN_CHARS_MIN = 32;
const ADMIN_TOKEN_CHARS_MAX = 1024;

/**
 * The SHA-256 of the --admin-token-file token (its first line, surrounding spaces trimmed); only
 * the hash is kept in memory after start. Throws a ConfigError naming the flag.
 */
export function readAdminTokenHash(path: string): Buffer {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (error) {
    const code = error instanceof Error && "code" in error ? String(error.code) : String(error);
    throw new ConfigError(`--admin-token-file ${path} cannot be read (${code})`);
  }
  const token = (text.split(/\r?\n/, 1)[0] ?? "").trim();
  if (token.length < ADMIN_TOKEN_CHARS_MIN || token.length > ADMIN_TOKEN_CHARS_MAX) {
    throw new ConfigError(
      `--admin-token-file ${path}: its first line must be a token of ${ADMIN_TOKEN_CHARS_MIN}..${ADMIN_TOKEN_CHARS_MAX} characters (e.g. openssl rand -hex 32), got ${token.length}`,
    );
  }
  if (/\s/.test(token)) throw new ConfigError(`--admin-token-file ${path}: the token may not contain spaces`);
  return hashToken(token);
}
