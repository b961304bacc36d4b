import { type Options, Packr } from "msgpackr";
import { RingkvError } from "../errors.js";
import { MalformedFrameError } from "./errors.js";
import type { Message } from "./transport.js";

/**
 * The bytes inside a frame. After the handshake every payload is the MessagePack array
 * `[kind, requestId, body]`:
 *
 * - REQUEST  `[1, id, message]`  answered by exactly one RESPONSE or ERROR_RESPONSE with the same id
 * - RESPONSE `[2, id, message]`
 * - ERROR_RESPONSE `[3, id, { code: string | null, message: string, details: map }]`
 * - ONE_WAY  `[4, 0, message]`
 *
 * `message` is a map with a string `type`. Ids are unsigned 32-bit integers chosen by the sender of
 * the request and are unique among its requests in flight on one connection.
 */
export const WireKind = { request: 1, response: 2, errorResponse: 3, oneWay: 4 } as const;
export type WireKind = (typeof WireKind)[keyof typeof WireKind];

export type WireFrame =
  | { kind: typeof WireKind.request; requestId: number; body: Message }
  | { kind: typeof WireKind.response; requestId: number; body: Message }
  | { kind: typeof WireKind.errorResponse; requestId: number; body: WireError }
  | { kind: typeof WireKind.oneWay; requestId: number; body: Message };

/** What a handler's thrown error becomes on the wire. */
export interface WireError {
  code: string | null;
  message: string;
  details: Record<string, unknown>;
}

export const REQUEST_ID_MAX = 0xffff_ffff;

/** Bytes `envelopePrefix` puts before a body: array header, kind, uint32 id. */
export const ENVELOPE_PREFIX_BYTES = 7;

/** An error's message is cut to this many characters and its details dropped past this many bytes, so an error response always fits in a frame. */
const ERROR_MESSAGE_CHARS_MAX = 4096;
const ERROR_DETAILS_BYTES_MAX = 16 * 1024;

/** The smallest frameBytesMax a transport accepts: room for any error response and handshake. */
export const FRAME_BYTES_MIN = 64 * 1024;

/**
 * Standard MessagePack only: no records extension, no structured-clone or extra types, so any
 * MessagePack implementation can read what we write. Binary values decode as Buffers that own
 * their memory (copyBuffers), so a value a node keeps does not pin a whole socket chunk. Properties
 * whose value is undefined are left out, as JSON would (msgpackr would otherwise emit a
 * non-standard extension for undefined).
 */
const packrOptions: Options & { skipValues: unknown[] } = {
  useRecords: false,
  structuredClone: false,
  moreTypes: false,
  mapsAsObjects: true,
  bundleStrings: false,
  int64AsType: "number",
  copyBuffers: true,
  encodeUndefinedAsNil: true,
  skipValues: [undefined],
};
const packr = new Packr(packrOptions);

/** Encodes one value as standard MessagePack. Throws (a TypeError-like Error) for unencodable values. */
export function encodeValue(value: unknown): Buffer {
  return packr.pack(value);
}

/** Decodes one MessagePack value; throws MalformedFrameError on anything else. */
export function decodeValue(bytes: Uint8Array): unknown {
  try {
    return packr.unpack(bytes);
  } catch (error) {
    throw new MalformedFrameError(
      `not MessagePack: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
}

/**
 * The first bytes of a post-handshake payload: a 3-element array header, the kind and the id as a
 * uint32. The body's own MessagePack bytes follow, so a body is encoded once, when the caller
 * hands it over, and never re-encoded when its request id is known.
 */
export function envelopePrefix(kind: WireKind, requestId: number): Buffer {
  if (!Number.isInteger(requestId) || requestId < 0 || requestId > REQUEST_ID_MAX) {
    throw new RangeError(`request id ${requestId} is not a uint32`);
  }
  const prefix = Buffer.allocUnsafe(ENVELOPE_PREFIX_BYTES);
  prefix[0] = 0x93; // fixarray of 3
  prefix[1] = kind; // positive fixint
  prefix[2] = 0xce; // uint32
  prefix.writeUInt32BE(requestId, 3);
  return prefix;
}

/** Encodes a message body, refusing what is not a Message (the type system allows less than runtime does). */
export function encodeMessage(message: Message): Buffer {
  if (!isMessage(message)) throw new TypeError("a message must be an object with a string `type`");
  return encodeValue(message);
}

/** Encodes a handler's failure; never throws, and always fits in FRAME_BYTES_MIN. */
export function encodeWireError(error: unknown): Buffer {
  const message = error instanceof Error ? error.message : String(error);
  const wire: WireError = {
    code: error instanceof RingkvError ? error.code : null,
    message:
      message.length > ERROR_MESSAGE_CHARS_MAX ? `${message.slice(0, ERROR_MESSAGE_CHARS_MAX)}...` : message,
    details: {},
  };
  const plain = encodeValue(wire);
  if (!(error instanceof RingkvError)) return plain;
  try {
    const withDetails = encodeValue({ ...wire, details: error.details() });
    return withDetails.length - plain.length <= ERROR_DETAILS_BYTES_MAX ? withDetails : plain;
  } catch {
    // details() held something MessagePack cannot carry; the code and message still can.
    return plain;
  }
}

/** Decodes and validates a post-handshake payload. */
export function decodeWireFrame(payload: Uint8Array): WireFrame {
  const value = decodeValue(payload);
  if (!Array.isArray(value) || value.length !== 3)
    throw new MalformedFrameError("frame is not a [kind, id, body] array");
  const [kind, requestId, body] = value as [unknown, unknown, unknown];
  if (
    typeof requestId !== "number" ||
    !Number.isInteger(requestId) ||
    requestId < 0 ||
    requestId > REQUEST_ID_MAX
  ) {
    throw new MalformedFrameError(`request id ${String(requestId)} is not a uint32`);
  }
  switch (kind) {
    case WireKind.request:
    case WireKind.response:
    case WireKind.oneWay:
      if (!isMessage(body)) throw new MalformedFrameError("message body is not a map with a string type");
      return { kind, requestId, body };
    case WireKind.errorResponse:
      return { kind, requestId, body: toWireError(body) };
    default:
      throw new MalformedFrameError(`unknown frame kind ${String(kind)}`);
  }
}

/** Decodes an encodeWireError body on its own (the in-memory transport carries bodies unframed). */
export function decodeWireError(bytes: Uint8Array): WireError {
  return toWireError(decodeValue(bytes));
}

export function isMessage(value: unknown): value is Message {
  return isPlainMap(value) && typeof value.type === "string";
}

function toWireError(value: unknown): WireError {
  if (!isPlainMap(value) || typeof value.message !== "string") {
    throw new MalformedFrameError("error body is not a map with a string message");
  }
  const code = value.code;
  if (code !== null && code !== undefined && typeof code !== "string") {
    throw new MalformedFrameError("error code is not a string");
  }
  return {
    code: code ?? null,
    message: value.message,
    details: isPlainMap(value.details) ? value.details : {},
  };
}

function isPlainMap(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value) && !ArrayBuffer.isView(value);
}
