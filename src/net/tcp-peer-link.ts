import assert from "node:assert/strict";
import { connect, isIP } from "node:net";
import { connect as tlsConnect } from "node:tls";
import type { Clock, TimerHandle } from "../clock/clock.js";
import type { Address } from "../config/address.js";
import type { RingkvError } from "../errors.js";
import type { Logger } from "../log/logger.js";
import {
  HandshakeError,
  PeerOverloadedError,
  PeerUnreachableError,
  RemoteError,
  TransportClosedError,
} from "./errors.js";
import { FramedConnection } from "./framed-connection.js";
import type { Hello } from "./handshake.js";
import { PendingRequest } from "./pending-request.js";
import { ReconnectBackoff } from "./reconnect-backoff.js";
import { RequestGate } from "./request-gate.js";
import { TLS_VERSION_MIN, type TlsMaterial } from "./tls-material.js";
import type { Message, RequestOptions } from "./transport.js";
import { envelopePrefix, REQUEST_ID_MAX, type WireFrame, WireKind } from "./wire.js";

export interface TcpPeerLinkOptions {
  ourHello: Hello;
  frameBytesMax: number;
  inFlightPerPeerMax: number;
  waitQueuePerPeerMax: number;
  connectTimeoutMs: number;
  handshakeTimeoutMs: number;
  reconnectBackoffMinMs: number;
  reconnectBackoffMaxMs: number;
  idleTimeoutMs: number | undefined;
  /** The current mutual-TLS material (it changes on a reload), or undefined for plaintext. */
  tls: () => TlsMaterial | undefined;
}

/** A frame waiting for the connection's handshake; nothing but the hello goes out before it. */
interface HeldFrame {
  parts: Uint8Array[];
  request: PendingRequest | undefined;
}

/**
 * Everything this node sends to one peer address: the one outbound connection (opened on first
 * use, reopened on the next use after it breaks), the requests multiplexed on it by id, the gate
 * bounding them, and the backoff between failed connection attempts. Requests and one-way
 * messages leave in call order on that connection, so the peer sees them in that order.
 */
export class TcpPeerLink {
  private connection: FramedConnection | undefined;
  private readonly gate: RequestGate;
  private readonly backoff: ReconnectBackoff;
  private lastFailure: RingkvError | undefined;
  /** Every request not yet settled: waiting at the gate, held for the handshake, or on the wire. */
  private readonly outstanding = new Set<PendingRequest>();
  /** Requests that hold a slot and an id, by id. */
  private readonly byId = new Map<number, PendingRequest>();
  private held: HeldFrame[] = [];
  private heldSends = 0;
  private nextRequestId = 1;
  private lastActivityMs = 0;
  private idleTimer: TimerHandle | undefined;
  private closed = false;

  constructor(
    readonly peer: string,
    private readonly target: Address,
    private readonly options: TcpPeerLinkOptions,
    private readonly components: { clock: Clock; logger: Logger },
  ) {
    this.gate = new RequestGate(options.inFlightPerPeerMax, options.waitQueuePerPeerMax);
    this.backoff = new ReconnectBackoff(options.reconnectBackoffMinMs, options.reconnectBackoffMaxMs);
  }

  /** `body` is the request message already encoded (and size-checked) by the transport. */
  request(body: Buffer, options: RequestOptions): Promise<Message> {
    if (this.closed) return Promise.reject(new TransportClosedError());
    const refusal = this.fastFailure();
    if (refusal !== undefined) return Promise.reject(refusal);
    const pending = new PendingRequest(this.components.clock, this.peer, options, (settled) =>
      this.forget(settled),
    );
    const ticket = this.gate.admit(() => this.start(pending, body));
    if (ticket === undefined) {
      pending.fail(new PeerOverloadedError(this.peer, this.gate.inFlightMax, this.gate.waitQueueMax));
      return pending.promise;
    }
    pending.ticket = ticket;
    this.outstanding.add(pending);
    if (ticket.state === "running") this.start(pending, body);
    return pending.promise;
  }

  /** Best effort: dropped (with a debug line) when the peer is in backoff or too much is already queued. */
  send(body: Buffer): void {
    if (this.closed) return;
    const parts = [envelopePrefix(WireKind.oneWay, 0), body];
    const connection = this.connection;
    if (connection?.isReady) {
      // The socket's own buffer is the queue once connected; past one frame's worth it is backed up.
      if (connection.bufferedBytes > this.options.frameBytesMax) {
        this.drop("the connection's write buffer is full");
        return;
      }
      this.touch();
      connection.write(parts);
      return;
    }
    if (this.fastFailure() !== undefined) {
      this.drop("the peer is unreachable");
      return;
    }
    if (this.heldSends >= this.options.waitQueuePerPeerMax) {
      this.drop("the wait queue is full");
      return;
    }
    this.held.push({ parts, request: undefined });
    this.heldSends++;
    this.connect();
  }

  /** Closes the connection for good; every outstanding request rejects with `error`. */
  close(error: RingkvError): void {
    if (this.closed) return;
    this.closed = true;
    this.stopIdleTimer();
    this.held = [];
    this.heldSends = 0;
    const connection = this.connection;
    this.connection = undefined;
    for (const pending of [...this.outstanding]) pending.fail(error);
    connection?.close(error);
    assert(this.outstanding.size === 0 && this.byId.size === 0, "a closed peer link still has requests");
  }

  private start(pending: PendingRequest, body: Buffer): void {
    if (pending.isSettled) return;
    if (this.closed) {
      pending.fail(new TransportClosedError());
      return;
    }
    const refusal = this.fastFailure();
    if (refusal !== undefined) {
      pending.fail(refusal);
      return;
    }
    const requestId = this.allocateRequestId();
    pending.requestId = requestId;
    this.byId.set(requestId, pending);
    const parts = [envelopePrefix(WireKind.request, requestId), body];
    this.touch();
    const connection = this.connection;
    if (connection?.isReady) {
      connection.write(parts);
    } else {
      this.held.push({ parts, request: pending });
      this.connect();
    }
  }

  private forget(pending: PendingRequest): void {
    this.outstanding.delete(pending);
    if (pending.requestId !== undefined) this.byId.delete(pending.requestId);
    if (pending.ticket !== undefined) this.gate.release(pending.ticket);
  }

  /**
   * While no connection exists and the last attempt failed less than the backoff ago, requests
   * fail at once instead of dialling a peer that is probably still down.
   */
  private fastFailure(): RingkvError | undefined {
    if (this.connection !== undefined) return undefined;
    const waitMs = this.backoff.waitMs(this.components.clock.nowMs());
    if (waitMs === 0) return undefined;
    const last = this.lastFailure;
    if (last instanceof HandshakeError) return new HandshakeError(this.peer, last.reason);
    const why =
      last instanceof PeerUnreachableError ? last.reason : (last?.message ?? "the last attempt failed");
    return new PeerUnreachableError(this.peer, `${why}; next attempt in ${waitMs} ms`, { cause: last });
  }

  private allocateRequestId(): number {
    // byId holds at most inFlightPerPeerMax ids, far fewer than 2^32, so this finds a free one fast.
    for (;;) {
      const id = this.nextRequestId;
      this.nextRequestId = id === REQUEST_ID_MAX ? 1 : id + 1;
      if (!this.byId.has(id)) return id;
    }
  }

  private connect(): void {
    if (this.connection !== undefined || this.closed) return;
    const material = this.options.tls();
    const { host, port } = this.target;
    const socket =
      material === undefined
        ? connect({ host, port })
        : tlsConnect({
            host,
            port,
            cert: material.cert,
            key: material.key,
            ca: material.ca,
            minVersion: TLS_VERSION_MIN,
            rejectUnauthorized: true,
            // SNI takes a host name, never an address.
            servername: isIP(host) === 0 ? host : undefined,
            // Node identity is the certificate CN, checked against the id the peer's hello
            // claims (framed-connection.ts), not the host name: peers are dialled by address.
            checkServerIdentity: () => undefined,
          });
    const connection: FramedConnection = new FramedConnection(
      socket,
      {
        direction: "outbound",
        peerLabel: this.peer,
        ourHello: this.options.ourHello,
        frameBytesMax: this.options.frameBytesMax,
        connectTimeoutMs: this.options.connectTimeoutMs,
        handshakeTimeoutMs: this.options.handshakeTimeoutMs,
      },
      this.components,
      {
        onReady: () => this.onReady(connection),
        onFrame: (frame) => this.onFrame(connection, frame),
        onClose: (error, wasReady) => this.onClose(connection, error, wasReady),
      },
    );
    this.connection = connection;
  }

  private onReady(connection: FramedConnection): void {
    if (connection !== this.connection) return;
    this.backoff.succeeded();
    this.lastFailure = undefined;
    const held = this.held;
    this.held = [];
    this.heldSends = 0;
    for (const frame of held) {
      if (frame.request?.isSettled === true) continue;
      connection.write(frame.parts);
    }
    this.touch();
    this.armIdleTimer();
  }

  private onFrame(connection: FramedConnection, frame: WireFrame): void {
    if (frame.kind === WireKind.request || frame.kind === WireKind.oneWay) {
      // Each node sends its own requests over the connection it opened; this one is ours.
      connection.protocolViolation("peer sent a request on a connection this node opened");
      return;
    }
    const pending = this.byId.get(frame.requestId);
    if (pending === undefined) {
      // Its request timed out or was aborted; the answer arrived too late to matter.
      this.components.logger.debug({ peer: this.peer, requestId: frame.requestId }, "late response dropped");
      return;
    }
    this.touch();
    if (frame.kind === WireKind.response) {
      pending.resolve(frame.body);
    } else {
      const { code, message, details } = frame.body;
      pending.fail(new RemoteError(this.peer, code ?? undefined, message, details));
    }
  }

  private onClose(connection: FramedConnection, error: RingkvError, wasReady: boolean): void {
    if (connection !== this.connection) return;
    this.connection = undefined;
    this.stopIdleTimer();
    if (!wasReady) {
      const retryInMs = this.backoff.failed(this.components.clock.nowMs());
      this.lastFailure = error;
      this.components.logger.debug(
        { peer: this.peer, reason: error.message, retryInMs },
        "connection attempt failed",
      );
    }
    const droppedSends = this.heldSends;
    this.held = [];
    this.heldSends = 0;
    if (droppedSends > 0) this.drop(error.message, droppedSends);
    // Failing these frees their slots, and waiters then start: they reconnect at once after a
    // connection that had worked, or fail fast during the backoff after one that never did.
    for (const pending of [...this.byId.values()]) pending.fail(error);
  }

  private drop(reason: string, messages = 1): void {
    this.components.logger.debug({ peer: this.peer, reason, messages }, "one-way message dropped");
  }

  private touch(): void {
    this.lastActivityMs = this.components.clock.nowMs();
  }

  /** Closes a connection that carried nothing for idleTimeoutMs; the next message reopens it. */
  private armIdleTimer(delayMs = this.options.idleTimeoutMs): void {
    const idleTimeoutMs = this.options.idleTimeoutMs;
    if (idleTimeoutMs === undefined || delayMs === undefined) return;
    this.stopIdleTimer();
    this.idleTimer = this.components.clock.setTimeout(() => {
      this.idleTimer = undefined;
      const connection = this.connection;
      if (connection === undefined || !connection.isReady) return;
      const idleMs = this.components.clock.nowMs() - this.lastActivityMs;
      if (this.byId.size === 0 && this.outstanding.size === 0 && idleMs >= idleTimeoutMs) {
        this.components.logger.debug({ peer: this.peer, idleMs }, "closing idle connection");
        connection.close(new PeerUnreachableError(this.peer, "connection closed after being idle"));
        return;
      }
      this.armIdleTimer(Math.max(1, idleTimeoutMs - idleMs));
    }, delayMs);
  }

  private stopIdleTimer(): void {
    if (this.idleTimer !== undefined) this.components.clock.clearTimeout(this.idleTimer);
    this.idleTimer = undefined;
  }
}
