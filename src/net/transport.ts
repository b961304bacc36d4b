/**
 * Node-to-node messaging. Messages are plain data (what MessagePack encodes: objects, arrays,
 * strings, numbers, booleans, null, Uint8Array). A TCP implementation runs between processes; an
 * in-memory one runs many nodes in one process and can delay, drop, reorder and partition.
 * Both pass one acceptance suite (test/net/transport-suite.ts).
 */
export type Message = { readonly type: string } & Readonly<Record<string, unknown>>;

/** The peer that sent a message, as its handshake told us. */
export interface PeerInfo {
  /** The remote node's id. */
  id: string;
  /** The remote node's own inter-node listen address ("host:port"), from its handshake. */
  address: string;
}

export interface TransportHandler {
  /** Answers a request; a thrown error reaches the requester as a RemoteError with its code and message. */
  onRequest(from: PeerInfo, message: Message): Promise<Message>;
  /** A one-way message (gossip). */
  onMessage(from: PeerInfo, message: Message): void;
}

export interface RequestOptions {
  timeoutMs: number;
  signal?: AbortSignal;
}

export interface Transport {
  /**
   * This node's inter-node address as peers dial it ("host:port"): the advertised address when
   * one is configured, else the bound one (a port of 0 is replaced by the real one).
   */
  readonly address: string;
  /** Starts accepting connections and delivering messages to `handler`. */
  start(handler: TransportHandler): Promise<void>;
  /** Closes every connection; pending requests reject with TransportClosedError. */
  stop(): Promise<void>;
  /**
   * Sends a request to the node listening at `peer` and resolves with its answer. Rejects with
   * RequestTimeoutError, PeerUnreachableError, PeerOverloadedError (in-flight limit and wait queue
   * full), RemoteError (the handler threw), HandshakeError, or AbortError from `signal`.
   */
  request(peer: string, message: Message, options: RequestOptions): Promise<Message>;
  /** Sends a one-way message; best effort (dropped if the peer is unreachable), never throws. */
  send(peer: string, message: Message): void;
}
