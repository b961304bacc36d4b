import type { Hello } from "./handshake.js";

/** Something the in-memory network can deliver packets to: one started MemoryTransport. */
export interface MemoryEndpoint {
  readonly address: string;
  receive(from: string, packet: MemoryPacket): void;
}

/**
 * What travels between in-memory transports. Bodies are MessagePack bytes, encoded when sent and
 * decoded separately at each delivery, so nodes never share an object (as over a socket).
 * Answers name the endpoint that asked (`target`): a transport restarted on the same address is
 * another endpoint and does not receive its predecessor's answers.
 */
export type MemoryPacket =
  | { kind: "request"; origin: MemoryEndpoint; hello: Hello; requestId: number; body: Buffer }
  | { kind: "one-way"; hello: Hello; body: Buffer }
  | { kind: "response"; target: MemoryEndpoint; requestId: number; body: Buffer }
  | { kind: "error-response"; target: MemoryEndpoint; requestId: number; body: Buffer }
  /** The addressee refused the handshake; `hello` is its own, so the requester can name the mismatch. */
  | { kind: "refused"; target: MemoryEndpoint; requestId: number; hello: Hello }
  /** Nothing listens at the address, or the addressee stopped while handling the request (TCP's RST). */
  | { kind: "reset"; target: MemoryEndpoint; requestId: number; reason: string };

/** What a MemoryTransport needs from its network. */
export interface MemoryRouter {
  /** Claims `endpoint.address`; returns why not when another started transport holds it. */
  register(endpoint: MemoryEndpoint): string | undefined;
  unregister(endpoint: MemoryEndpoint): void;
  /** Queues a packet on the link from -> to, subject to that link's faults and partitions. */
  transmit(from: string, to: string, packet: MemoryPacket): void;
  /** Body bytes queued on the link from -> to and not yet delivered. */
  queuedBytes(from: string, to: string): number;
}

export function packetBytes(packet: MemoryPacket): number {
  return "body" in packet ? packet.body.length : 0;
}
