import { RingkvError } from "../errors.js";

/**
 * Errors of node-to-node messaging. Each is one condition a caller (the coordinator, gossip,
 * handoff) may branch on, with a stable `code`. `peer` is always the address the caller asked for.
 */

/** No answer arrived within the request's `timeoutMs` (the peer may still have acted on it). */
export class RequestTimeoutError extends RingkvError {
  readonly code = "request_timeout";
  constructor(
    readonly peer: string,
    readonly timeoutMs: number,
  ) {
    super(`request to ${peer} got no answer within ${timeoutMs} ms`);
  }
  override details(): Record<string, unknown> {
    return { peer: this.peer, timeoutMs: this.timeoutMs };
  }
}

/** The peer could not be reached or the connection to it broke before it answered. */
export class PeerUnreachableError extends RingkvError {
  readonly code = "peer_unreachable";
  constructor(
    readonly peer: string,
    readonly reason: string,
    options?: { cause?: unknown },
  ) {
    super(`peer ${peer} is unreachable: ${reason}`, options);
  }
  override details(): Record<string, unknown> {
    return { peer: this.peer };
  }
}

/** This node already has the maximum requests in flight to the peer and its wait queue is full. */
export class PeerOverloadedError extends RingkvError {
  readonly code = "peer_overloaded";
  constructor(
    readonly peer: string,
    readonly inFlightPerPeerMax: number,
    readonly waitQueuePerPeerMax: number,
  ) {
    super(
      `too many requests to ${peer}: ${inFlightPerPeerMax} in flight and ${waitQueuePerPeerMax} waiting, the limits`,
    );
  }
  override details(): Record<string, unknown> {
    return { peer: this.peer };
  }
}

/**
 * The peer's handler threw. `remoteCode` is the thrown error's `code` when it was a RingkvError
 * (so a caller can branch on "too_many_siblings" raised on another node) and undefined otherwise.
 * `code` itself stays "remote_error" so that this class keeps one stable code like every other.
 */
export class RemoteError extends RingkvError {
  readonly code = "remote_error";
  constructor(
    readonly peer: string,
    readonly remoteCode: string | undefined,
    readonly remoteMessage: string,
    readonly remoteDetails: Readonly<Record<string, unknown>>,
  ) {
    super(
      `${peer} failed the request${remoteCode === undefined ? "" : ` (${remoteCode})`}: ${remoteMessage}`,
    );
  }
  override details(): Record<string, unknown> {
    return { peer: this.peer, remoteCode: this.remoteCode ?? null };
  }
}

/** The peer belongs to another cluster or speaks an incompatible protocol version. */
export class HandshakeError extends RingkvError {
  readonly code = "handshake_failed";
  constructor(
    readonly peer: string,
    readonly reason: string,
  ) {
    super(`handshake with ${peer} failed: ${reason}`);
  }
  override details(): Record<string, unknown> {
    return { peer: this.peer };
  }
}

/** The transport was stopped (or never started) while the request was pending. */
export class TransportClosedError extends RingkvError {
  readonly code = "transport_closed";
  constructor() {
    super("the inter-node transport is stopped");
  }
}

/** A message encodes to more than `frameBytesMax` bytes; it is refused, never truncated. */
export class FrameTooLargeError extends RingkvError {
  readonly code = "frame_too_large";
  constructor(
    readonly frameBytes: number,
    readonly frameBytesMax: number,
  ) {
    super(`frame of ${frameBytes} bytes exceeds the limit of ${frameBytesMax} bytes`);
  }
  override details(): Record<string, unknown> {
    return { frameBytes: this.frameBytes, frameBytesMax: this.frameBytesMax };
  }
}

/** Bytes from a peer that are not a frame this protocol defines; the connection is closed. */
export class MalformedFrameError extends RingkvError {
  readonly code = "malformed_frame";
}

/** The transport could not listen on its address (in use, not local, no permission). */
export class ListenError extends RingkvError {
  readonly code = "listen_failed";
  constructor(
    readonly address: string,
    reason: string,
    options?: { cause?: unknown },
  ) {
    super(`cannot listen for inter-node connections on ${address}: ${reason}`, options);
  }
}
