import { MalformedFrameError } from "./errors.js";
import { decodeValue, encodeValue } from "./wire.js";

/**
 * The inter-node protocol version this code speaks. Bump it on any change to framing, frame kinds
 * or handshake; `incompatibility` decides which versions may talk to each other.
 */
export const PROTOCOL_VERSION = 1;

/**
 * The first frame each side sends on every connection, before anything else: a bare MessagePack
 * map (not a `[kind, id, body]` array) so that any future version can still read who is calling
 * and refuse it with a clear reason.
 */
export interface Hello {
  protocol: number;
  cluster: string;
  /** The sender's node id. */
  id: string;
  /** The sender's own listen address ("host:port"), which its peers dial. */
  address: string;
}

/** Longest node id, cluster name or address a hello may carry; longer is malformed. */
const HELLO_FIELD_CHARS_MAX = 1024;

export function encodeHello(hello: Hello): Buffer {
  return encodeValue({
    protocol: hello.protocol,
    cluster: hello.cluster,
    id: hello.id,
    address: hello.address,
  });
}

export function decodeHello(payload: Uint8Array): Hello {
  const value = decodeValue(payload);
  if (typeof value !== "object" || value === null || Array.isArray(value) || ArrayBuffer.isView(value)) {
    throw new MalformedFrameError("expected a handshake map as the first frame");
  }
  const { protocol, cluster, id, address } = value as Record<string, unknown>;
  if (typeof protocol !== "number" || !Number.isInteger(protocol) || protocol < 0) {
    throw new MalformedFrameError("handshake has no integer protocol version");
  }
  for (const [name, field] of [
    ["cluster", cluster],
    ["id", id],
    ["address", address],
  ] as const) {
    if (typeof field !== "string" || field.length === 0 || field.length > HELLO_FIELD_CHARS_MAX) {
      throw new MalformedFrameError(
        `handshake field ${name} is not a string of 1..${HELLO_FIELD_CHARS_MAX} characters`,
      );
    }
  }
  return { protocol, cluster: cluster as string, id: id as string, address: address as string };
}

/**
 * Why `theirs` may not talk to `ours`, or undefined when it may. Symmetric in what it checks, so
 * both ends of a connection reach the same verdict and the dialling side can name the reason.
 */
export function incompatibility(ours: Hello, theirs: Hello): string | undefined {
  if (theirs.protocol !== ours.protocol) {
    return `peer speaks protocol version ${theirs.protocol}, this node speaks version ${ours.protocol}`;
  }
  if (theirs.cluster !== ours.cluster) {
    return `peer is in cluster "${theirs.cluster}", this node is in cluster "${ours.cluster}"`;
  }
  return undefined;
}
