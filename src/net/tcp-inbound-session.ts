import type { Socket } from "node:net";
import type { Clock } from "../clock/clock.js";
import { RingkvError } from "../errors.js";
import type { Logger } from "../log/logger.js";
import { FrameTooLargeError, PeerOverloadedError } from "./errors.js";
import { FramedConnection } from "./framed-connection.js";
import type { Hello } from "./handshake.js";
import type { Message, PeerInfo, TransportHandler } from "./transport.js";
import {
  ENVELOPE_PREFIX_BYTES,
  encodeMessage,
  encodeWireError,
  envelopePrefix,
  type WireFrame,
  WireKind,
} from "./wire.js";

export interface TcpInboundSessionOptions {
  ourHello: Hello;
  frameBytesMax: number;
  handshakeTimeoutMs: number;
  /** Handler calls running at once for this connection; more are answered "peer_overloaded" at once. */
  inFlightMax: number;
}

/**
 * A connection another node opened to us: it delivers that node's requests and one-way messages
 * to the handler and carries the answers back, each tagged with its request's id. Answers leave
 * as handlers finish, not in request order.
 */
export class TcpInboundSession {
  private readonly connection: FramedConnection;
  private inFlight = 0;
  private from: PeerInfo | undefined;

  constructor(
    socket: Socket,
    private readonly options: TcpInboundSessionOptions,
    private readonly components: { clock: Clock; logger: Logger },
    private readonly handler: TransportHandler,
    onClosed: (session: TcpInboundSession) => void,
  ) {
    const peerLabel = `${socket.remoteAddress ?? "unknown"}:${socket.remotePort ?? 0}`;
    this.connection = new FramedConnection(
      socket,
      {
        direction: "inbound",
        peerLabel,
        ourHello: options.ourHello,
        frameBytesMax: options.frameBytesMax,
        // Unused for an accepted socket: it is connected already.
        connectTimeoutMs: options.handshakeTimeoutMs,
        handshakeTimeoutMs: options.handshakeTimeoutMs,
        // A frame's worth of unsent answers at most (plus the answers of the handlers already
        // running, bounded by inFlightMax) before the peer's requests stop being read.
        writeBufferBytesMax: options.frameBytesMax,
      },
      components,
      {
        onReady: (hello) => {
          this.from = { id: hello.id, address: hello.address };
          components.logger.debug(
            { peer: peerLabel, peerId: hello.id, peerAddress: hello.address },
            "peer connected",
          );
        },
        onFrame: (frame) => this.onFrame(frame),
        onClose: () => onClosed(this),
      },
    );
  }

  close(error: RingkvError): void {
    this.connection.close(error);
  }

  private onFrame(frame: WireFrame): void {
    const from = this.from;
    if (from === undefined) return;
    switch (frame.kind) {
      case WireKind.request:
        this.onRequest(from, frame.requestId, frame.body);
        return;
      case WireKind.oneWay:
        try {
          this.handler.onMessage(from, frame.body);
        } catch (error) {
          this.components.logger.error(
            { err: error, peerId: from.id, type: frame.body.type },
            "one-way message handler threw",
          );
        }
        return;
      default:
        // Answers travel only on connections this node opened.
        this.connection.protocolViolation("peer sent a response on a connection it opened");
    }
  }

  private onRequest(from: PeerInfo, requestId: number, body: Message): void {
    if (this.inFlight >= this.options.inFlightMax) {
      // The sender bounds its own in-flight requests; exceeding ours means its limit is larger
      // (or it ignores it). Refusing at once keeps our handlers' work bounded per connection.
      const refusal = new PeerOverloadedError(this.options.ourHello.address, this.options.inFlightMax, 0);
      this.connection.write([envelopePrefix(WireKind.errorResponse, requestId), encodeWireError(refusal)]);
      return;
    }
    this.inFlight++;
    void this.answer(from, requestId, body);
  }

  private async answer(from: PeerInfo, requestId: number, body: Message): Promise<void> {
    let parts: Uint8Array[];
    try {
      const answer = await this.handler.onRequest(from, body);
      const encoded = encodeMessage(answer);
      const frameBytes = ENVELOPE_PREFIX_BYTES + encoded.length;
      if (frameBytes > this.options.frameBytesMax)
        throw new FrameTooLargeError(frameBytes, this.options.frameBytesMax);
      parts = [envelopePrefix(WireKind.response, requestId), encoded];
    } catch (error) {
      if (!(error instanceof RingkvError)) {
        // Not a condition the handler meant to report: a bug there, worth its stack trace here.
        this.components.logger.error(
          { err: error, peerId: from.id, type: body.type },
          "request handler threw",
        );
      }
      parts = [envelopePrefix(WireKind.errorResponse, requestId), encodeWireError(error)];
    } finally {
      this.inFlight--;
    }
    // A no-op when the connection closed meanwhile: the requester has already been told.
    this.connection.write(parts);
  }
}
