import { BadRequestError, KeyTooLongError } from "../errors.js";

/**
 * A key is one percent-encoded path segment, decoded to UTF-8 bytes. Malformed escapes and
 * invalid UTF-8 are refused rather than guessed at, so every key has exactly one spelling.
 */
export function decodeKeySegment(segment: string, keyBytesMax: number): Uint8Array {
  if (segment.length === 0) throw new BadRequestError("key must not be empty");
  // Each key byte takes at most 3 characters ("%XX"); a longer segment is too long whatever it holds.
  if (segment.length > keyBytesMax * 3) throw new KeyTooLongError(segment.length, keyBytesMax);
  let text: string;
  try {
    text = decodeURIComponent(segment);
  } catch {
    throw new BadRequestError("key is not valid percent-encoded UTF-8");
  }
  const bytes = Buffer.from(text, "utf8");
  if (bytes.length === 0) throw new BadRequestError("key must not be empty");
  if (bytes.length > keyBytesMax) throw new KeyTooLongError(bytes.length, keyBytesMax);
  return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.length);
}

export function keyText(key: Uint8Array): string {
  return Buffer.from(key.buffer, key.byteOffset, key.byteLength).toString("utf8");
}
