import { MalformedFrameError } from "../net/errors.js";
import { decodeValue, encodeValue, REQUEST_ID_MAX } from "../net/wire.js";

/**
 * The binary client protocol (docs/client-protocol.md): HTTP's requests and answers, carried as
 * MessagePack frames over the client port's TCP (or TLS) connection instead of HTTP/1.1 text.
 * The node tells the two apart by the first byte a connection sends: an HTTP request starts
 * with a letter of its method, this protocol with PREFACE (a zero byte first).
 *
 * After the preface, every frame is a 4-byte big-endian length and a MessagePack payload
 * (net/frame-codec.ts, the framing the nodes use between themselves):
 *
 * - client hello `{ protocol: 1 }`, answered by the node hello
 *   `{ protocol: 1, node: "<id>", frameBytesMax: <int> }` or `{ protocol: 1, error: "<why>" }`
 *   before the node closes; the client sends no request before the node's hello arrived, so a
 *   node that does not speak the protocol (it answers `HTTP/1.1 400`) has seen none;
 * - request  `[id, method, target, headers, body]`: `target` is a path and query as HTTP's,
 *   `headers` a map of lowercase names to strings, `body` bytes or nil;
 * - answer   `[id, status, headers, body]`, one per request, in any order.
 *
 * Every route, rule and error of the HTTP API applies unchanged: the node runs a request through
 * the same router, access control and handlers, whichever way it came.
 */
export const CLIENT_PROTOCOL_VERSION = 1;

/** The first bytes of a binary client connection; no HTTP request and no TLS record starts with 0x00. */
export const PREFACE = Buffer.from([0x00, 0x52, 0x4b, 0x56]); // "\0RKV"

/** A hello (either way) is a small map: anything larger is not one. */
export const HELLO_BYTES_MAX = 1024;

/** Headers one request may carry (HTTP's header size limit applies to them too). */
export const HEADERS_PER_REQUEST_MAX = 64;

export interface ClientHello {
  protocol: number;
}

export type NodeHello =
  | { protocol: number; node: string; frameBytesMax: number; error?: undefined }
  | { protocol: number; error: string };

export interface WireRequest {
  id: number;
  method: string;
  target: string;
  headers: Record<string, string>;
  body: Uint8Array | undefined;
}

export interface WireAnswer {
  id: number;
  status: number;
  headers: Record<string, string>;
  body: Uint8Array | undefined;
}

export function encodeClientHello(hello: ClientHello): Buffer {
  return encodeValue({ protocol: hello.protocol });
}

export function decodeClientHello(payload: Uint8Array): ClientHello {
  const value = decodeValue(payload);
  if (!isMap(value) || !isCount(value.protocol))
    throw new MalformedFrameError("client hello is not a map with an integer protocol");
  return { protocol: value.protocol };
}

export function encodeNodeHello(hello: NodeHello): Buffer {
  return encodeValue(hello);
}

export function decodeNodeHello(payload: Uint8Array): NodeHello {
  const value = decodeValue(payload);
  if (!isMap(value) || !isCount(value.protocol))
    throw new MalformedFrameError("node hello is not a map with an integer protocol");
  if (typeof value.error === "string") return { protocol: value.protocol, error: value.error };
  if (typeof value.node !== "string" || !isCount(value.frameBytesMax))
    throw new MalformedFrameError("node hello has no node id or frame limit");
  return { protocol: value.protocol, node: value.node, frameBytesMax: value.frameBytesMax };
}

export function encodeRequest(request: WireRequest): Buffer {
  return encodeValue([request.id, request.method, request.target, request.headers, request.body ?? null]);
}

/**
 * A request frame, checked field by field. A frame whose id cannot be read is a broken stream
 * (MalformedFrameError: the connection is closed); one with a good id and a bad field is answered
 * 400 under that id (BadWireRequestError), and the connection goes on.
 */
export function decodeRequest(payload: Uint8Array, headersBytesMax: number): WireRequest {
  const value = decodeValue(payload);
  if (!Array.isArray(value) || value.length !== 5 || !isRequestId(value[0]))
    throw new MalformedFrameError("request frame is not an [id, method, target, headers, body] array");
  const [id, method, target, headers, body] = value as [number, unknown, unknown, unknown, unknown];
  if (typeof method !== "string" || !/^[A-Z]{1,16}$/.test(method))
    throw new BadWireRequestError(id, "method is not an upper-case word of 1..16 letters");
  if (typeof target !== "string" || !target.startsWith("/") || target.length > headersBytesMax)
    throw new BadWireRequestError(id, `target is not a path of at most ${headersBytesMax} characters`);
  if (body !== null && !(body instanceof Uint8Array))
    throw new BadWireRequestError(id, "body is neither bytes nor nil");
  return { id, method, target, headers: checkHeaders(id, headers, headersBytesMax), body: body ?? undefined };
}

export function encodeAnswer(answer: WireAnswer): Buffer {
  return encodeValue([answer.id, answer.status, answer.headers, answer.body ?? null]);
}

export function decodeAnswer(payload: Uint8Array): WireAnswer {
  const value = decodeValue(payload);
  if (!Array.isArray(value) || value.length !== 4 || !isRequestId(value[0]))
    throw new MalformedFrameError("answer frame is not an [id, status, headers, body] array");
  const [id, status, headers, body] = value as [number, unknown, unknown, unknown];
  if (!isCount(status) || status < 100 || status > 599)
    throw new MalformedFrameError(`answer status ${String(status)} is not an HTTP status`);
  if (!isMap(headers) || !Object.values(headers).every((v) => typeof v === "string"))
    throw new MalformedFrameError("answer headers are not a map of strings");
  if (body !== null && !(body instanceof Uint8Array))
    throw new MalformedFrameError("answer body is neither bytes nor nil");
  return { id, status, headers: headers as Record<string, string>, body: body ?? undefined };
}

/** A request whose id was readable but a field was not: answered 400 under that id. */
export class BadWireRequestError extends MalformedFrameError {
  constructor(
    readonly requestId: number,
    message: string,
  ) {
    super(message);
  }
}

function checkHeaders(id: number, value: unknown, bytesMax: number): Record<string, string> {
  if (!isMap(value)) throw new BadWireRequestError(id, "headers are not a map");
  const entries = Object.entries(value);
  if (entries.length > HEADERS_PER_REQUEST_MAX)
    throw new BadWireRequestError(id, `more than ${HEADERS_PER_REQUEST_MAX} headers`);
  let bytes = 0;
  // A fresh object without a prototype: a header named __proto__ is a header, nothing more.
  const headers: Record<string, string> = Object.create(null) as Record<string, string>;
  for (const [name, text] of entries) {
    if (!/^[a-z0-9!#$%&'*+.^_`|~-]{1,256}$/.test(name))
      throw new BadWireRequestError(id, "a header name is not a lower-case HTTP token");
    if (typeof text !== "string" || /[\r\n\0]/.test(text))
      throw new BadWireRequestError(id, `header ${name} is not a one-line string`);
    bytes += name.length + text.length;
    if (bytes > bytesMax) throw new BadWireRequestError(id, `headers are larger than ${bytesMax} bytes`);
    headers[name] = text;
  }
  return headers;
}

function isMap(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value) && !ArrayBuffer.isView(value);
}

function isCount(value: unknown): value is number {
  return typeof value === "number" && Number.isSafeInteger(value) && value >= 0;
}

function isRequestId(value: unknown): value is number {
  return isCount(value) && value <= REQUEST_ID_MAX;
}
