import assert from "node:assert/strict";
import type { Clock } from "../clock/clock.js";
import { RingkvError } from "../errors.js";
import type { Logger } from "../log/logger.js";
import {
  FrameTooLargeError,
  HandshakeError,
  ListenError,
  PeerOverloadedError,
  PeerUnreachableError,
  RemoteError,
  TransportClosedError,
} from "./errors.js";
import { type Hello, incompatibility } from "./handshake.js";
import type { MemoryEndpoint, MemoryPacket, MemoryRouter } from "./memory-packet.js";
import type { PeerLimits } from "./peer-limits.js";
import { PendingRequest } from "./pending-request.js";
import { RequestGate } from "./request-gate.js";
import type { Message, PeerInfo, RequestOptions, Transport, TransportHandler } from "./transport.js";
import {
  decodeValue,
  decodeWireError,
  ENVELOPE_PREFIX_BYTES,
  encodeMessage,
  encodeWireError,
  isMessage,
  REQUEST_ID_MAX,
} from "./wire.js";

export interface MemoryTransportOptions extends PeerLimits {
  clusterName: string;
  /** The protocol version this node announces; set it to simulate a node of another version. */
  protocolVersion: number;
}

/** A request this transport is handling for another node, remembered so stop() can reset it. */
interface InboundRequest {
  origin: MemoryEndpoint;
  requestId: number;
}

/**
 * One node's Transport on a MemoryNetwork. Same contract as TcpTransport: encoded size limit,
 * per-peer in-flight gate and wait queue, timeouts from the injected Clock, AbortSignal, handshake
 * refusal of another cluster or protocol version, RemoteError for a throwing handler. What it
 * does not model: connections and their reconnect backoff (a restarted peer is reachable at
 * once), and per-connection FIFO under a delay fault (delays reorder packets on a link).
 */
export class MemoryTransport implements Transport, MemoryEndpoint {
  private state: "new" | "started" | "stopped" = "new";
  private handler: TransportHandler | undefined;
  private readonly hello: Hello;
  private readonly gates = new Map<string, RequestGate>();
  private readonly outstanding = new Set<PendingRequest>();
  private readonly byId = new Map<number, PendingRequest>();
  private nextRequestId = 1;
  private readonly inbound = new Set<InboundRequest>();
  /** Handler calls running per requesting address, bounded like a TCP inbound connection. */
  private readonly inboundPerPeer = new Map<string, number>();

  constructor(
    readonly nodeId: string,
    readonly address: string,
    private readonly options: MemoryTransportOptions,
    private readonly router: MemoryRouter,
    private readonly components: { clock: Clock; logger: Logger },
  ) {
    this.hello = { protocol: options.protocolVersion, cluster: options.clusterName, id: nodeId, address };
  }

  start(handler: TransportHandler): Promise<void> {
    assert(this.state === "new", `MemoryTransport.start() called when ${this.state}`);
    const taken = this.router.register(this);
    if (taken !== undefined) {
      this.state = "stopped";
      return Promise.reject(new ListenError(this.address, taken));
    }
    this.handler = handler;
    this.state = "started";
    return Promise.resolve();
  }

  stop(): Promise<void> {
    if (this.state !== "started") {
      this.state = "stopped";
      return Promise.resolve();
    }
    this.state = "stopped";
    this.router.unregister(this);
    const closed = new TransportClosedError();
    for (const pending of [...this.outstanding]) pending.fail(closed);
    assert(this.byId.size === 0, "a stopped memory transport still has requests");
    // Requests we were handling: their connections break, as a stopped process's sockets do.
    for (const { origin, requestId } of this.inbound) {
      this.router.transmit(this.address, origin.address, {
        kind: "reset",
        target: origin,
        requestId,
        reason: "the peer stopped before answering",
      });
    }
    this.inbound.clear();
    this.inboundPerPeer.clear();
    return Promise.resolve();
  }

  request(peer: string, message: Message, options: RequestOptions): Promise<Message> {
    if (this.state !== "started") return Promise.reject(new TransportClosedError());
    if (options.signal?.aborted === true) return Promise.reject(options.signal.reason);
    let body: Buffer;
    try {
      body = this.encode(message);
    } catch (error) {
      return Promise.reject(error);
    }
    const pending = new PendingRequest(this.components.clock, peer, options, (settled) =>
      this.forget(settled),
    );
    const gate = this.gateFor(peer);
    const ticket = gate.admit(() => this.dispatch(pending, body));
    if (ticket === undefined) {
      pending.fail(new PeerOverloadedError(peer, gate.inFlightMax, gate.waitQueueMax));
      return pending.promise;
    }
    pending.ticket = ticket;
    this.outstanding.add(pending);
    if (ticket.state === "running") this.dispatch(pending, body);
    return pending.promise;
  }

  send(peer: string, message: Message): void {
    if (this.state !== "started") return;
    let body: Buffer;
    try {
      body = this.encode(message);
    } catch (error) {
      this.components.logger.error({ err: error, peer }, "unencodable one-way message dropped");
      return;
    }
    // The same bound as a TCP socket's write buffer: more than one frame's worth queued is backed up.
    if (this.router.queuedBytes(this.address, peer) > this.options.frameBytesMax) {
      this.components.logger.debug({ peer, type: message.type }, "one-way message dropped: link backed up");
      return;
    }
    this.router.transmit(this.address, peer, { kind: "one-way", hello: this.hello, body });
  }

  receive(from: string, packet: MemoryPacket): void {
    if (this.state !== "started") return;
    switch (packet.kind) {
      case "request":
        this.onRequest(from, packet.origin, packet.hello, packet.requestId, packet.body);
        return;
      case "one-way":
        this.onOneWay(from, packet.hello, packet.body);
        return;
      case "response":
        this.byId.get(packet.requestId)?.resolve(this.decodeMessage(packet.body));
        return;
      case "error-response": {
        const pending = this.byId.get(packet.requestId);
        if (pending === undefined) return;
        const { code, message, details } = decodeWireError(packet.body);
        pending.fail(new RemoteError(pending.peer, code ?? undefined, message, details));
        return;
      }
      case "refused": {
        const pending = this.byId.get(packet.requestId);
        const reason = incompatibility(this.hello, packet.hello) ?? "the peer refused the handshake";
        pending?.fail(new HandshakeError(pending.peer, reason));
        return;
      }
      case "reset": {
        const pending = this.byId.get(packet.requestId);
        pending?.fail(new PeerUnreachableError(pending.peer, packet.reason));
        return;
      }
    }
  }

  private dispatch(pending: PendingRequest, body: Buffer): void {
    if (pending.isSettled) return;
    if (this.state !== "started") {
      // stop() is failing every request; one promoted from the queue meanwhile must not go out.
      pending.fail(new TransportClosedError());
      return;
    }
    const requestId = this.allocateRequestId();
    pending.requestId = requestId;
    this.byId.set(requestId, pending);
    this.router.transmit(this.address, pending.peer, {
      kind: "request",
      origin: this,
      hello: this.hello,
      requestId,
      body,
    });
  }

  private forget(pending: PendingRequest): void {
    this.outstanding.delete(pending);
    if (pending.requestId !== undefined) this.byId.delete(pending.requestId);
    if (pending.ticket !== undefined) this.gates.get(pending.peer)?.release(pending.ticket);
  }

  private onRequest(
    from: string,
    origin: MemoryEndpoint,
    hello: Hello,
    requestId: number,
    body: Buffer,
  ): void {
    const reason = incompatibility(this.hello, hello);
    if (reason !== undefined) {
      this.components.logger.warn({ peer: from, peerId: hello.id, reason }, "refusing inter-node handshake");
      this.router.transmit(this.address, from, {
        kind: "refused",
        target: origin,
        requestId,
        hello: this.hello,
      });
      return;
    }
    const running = this.inboundPerPeer.get(from) ?? 0;
    if (running >= this.options.inFlightPerPeerMax) {
      const refusal = new PeerOverloadedError(this.address, this.options.inFlightPerPeerMax, 0);
      this.router.transmit(this.address, from, {
        kind: "error-response",
        target: origin,
        requestId,
        body: encodeWireError(refusal),
      });
      return;
    }
    this.inboundPerPeer.set(from, running + 1);
    const entry: InboundRequest = { origin, requestId };
    this.inbound.add(entry);
    void this.answer(from, { id: hello.id, address: hello.address }, entry, this.decodeMessage(body));
  }

  private async answer(from: string, peer: PeerInfo, entry: InboundRequest, message: Message): Promise<void> {
    const handler = this.handler;
    assert(handler !== undefined, "a started transport has a handler");
    let packet: MemoryPacket;
    try {
      const answer = await handler.onRequest(peer, message);
      const body = this.encode(answer);
      packet = { kind: "response", target: entry.origin, requestId: entry.requestId, body };
    } catch (error) {
      if (!(error instanceof RingkvError)) {
        this.components.logger.error(
          { err: error, peerId: peer.id, type: message.type },
          "request handler threw",
        );
      }
      packet = {
        kind: "error-response",
        target: entry.origin,
        requestId: entry.requestId,
        body: encodeWireError(error),
      };
    }
    // stop() already reset this request if it ran meanwhile.
    if (this.state !== "started" || !this.inbound.delete(entry)) return;
    const running = (this.inboundPerPeer.get(from) ?? 1) - 1;
    if (running === 0) this.inboundPerPeer.delete(from);
    else this.inboundPerPeer.set(from, running);
    this.router.transmit(this.address, from, packet);
  }

  private onOneWay(from: string, hello: Hello, body: Buffer): void {
    const reason = incompatibility(this.hello, hello);
    if (reason !== undefined) {
      this.components.logger.warn({ peer: from, peerId: hello.id, reason }, "refusing inter-node handshake");
      return;
    }
    const message = this.decodeMessage(body);
    try {
      this.handler?.onMessage({ id: hello.id, address: hello.address }, message);
    } catch (error) {
      this.components.logger.error(
        { err: error, peerId: hello.id, type: message.type },
        "one-way message handler threw",
      );
    }
  }

  /** Encodes and size-checks a message exactly as the TCP transport would before framing it. */
  private encode(message: Message): Buffer {
    const body = encodeMessage(message);
    const frameBytes = ENVELOPE_PREFIX_BYTES + body.length;
    if (frameBytes > this.options.frameBytesMax)
      throw new FrameTooLargeError(frameBytes, this.options.frameBytesMax);
    return body;
  }

  private decodeMessage(body: Buffer): Message {
    const value = decodeValue(body);
    assert(isMessage(value), "a memory packet body is a message encoded by encodeMessage");
    return value;
  }

  private gateFor(peer: string): RequestGate {
    let gate = this.gates.get(peer);
    if (gate === undefined) {
      gate = new RequestGate(this.options.inFlightPerPeerMax, this.options.waitQueuePerPeerMax);
      this.gates.set(peer, gate);
    }
    return gate;
  }

  private allocateRequestId(): number {
    for (;;) {
      const id = this.nextRequestId;
      this.nextRequestId = id === REQUEST_ID_MAX ? 1 : id + 1;
      if (!this.byId.has(id)) return id;
    }
  }
}
