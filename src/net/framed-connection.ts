import type { Socket } from "node:net";
import { TLSSocket } from "node:tls";
import type { Clock, TimerHandle } from "../clock/clock.js";
import type { RingkvError } from "../errors.js";
import type { Logger } from "../log/logger.js";
import { FrameTooLargeError, HandshakeError, MalformedFrameError, PeerUnreachableError } from "./errors.js";
import { encodeFrame, FrameDecoder } from "./frame-codec.js";
import { decodeHello, encodeHello, type Hello, incompatibility } from "./handshake.js";
import { TurnWriter } from "./turn-writer.js";
import { decodeWireFrame, type WireFrame } from "./wire.js";

/** TCP keepalive probes start after this much silence, so a vanished peer's socket is eventually closed. */
const KEEPALIVE_INITIAL_DELAY_MS = 15_000;

export interface FramedConnectionOptions {
  /** "outbound" sockets are still connecting when handed over; their timeouts start at the connect. */
  direction: "outbound" | "inbound";
  /** How this connection is named in logs and errors: the dialled address, or the remote socket. */
  peerLabel: string;
  ourHello: Hello;
  frameBytesMax: number;
  connectTimeoutMs: number;
  handshakeTimeoutMs: number;
  /**
   * Inbound only: while more than this many bytes of our answers wait to be sent (the peer does
   * not read them), nothing more is read from the peer, so a peer that sends requests and never
   * reads the answers cannot make this node buffer without end.
   */
  writeBufferBytesMax?: number;
}

/**
 * Before the handshake a peer is a stranger: its first frame (the hello, well under 1 KiB) may be
 * at most this large, so an unauthenticated connection cannot make this node buffer a frame of
 * frameBytesMax.
 */
export const HELLO_FRAME_BYTES_MAX = 16 * 1024;

/** The first byte of a TLS ClientHello (a handshake record); no hello frame starts with it. */
const TLS_HANDSHAKE_RECORD = 0x16;

/** Whether a socket error is a TLS verification or protocol failure (Node's and OpenSSL's codes). */
export function isTlsFailure(error: Error): boolean {
  const code = (error as NodeJS.ErrnoException).code ?? "";
  return /^(ERR_SSL_|ERR_TLS_|CERT_|UNABLE_TO_|DEPTH_ZERO_|SELF_SIGNED_|HOSTNAME_MISMATCH|ERR_OSSL_)/.test(
    code,
  );
}

export interface FramedConnectionEvents {
  /** The peer's hello arrived and is compatible; frames may now be written. */
  onReady(peer: Hello): void;
  /** A valid post-handshake frame. */
  onFrame(frame: WireFrame): void;
  /**
   * Called once when the connection is gone, with what pending requests on it should reject with:
   * HandshakeError for an incompatible peer, PeerUnreachableError otherwise.
   */
  onClose(error: RingkvError, wasReady: boolean): void;
}

/**
 * A socket speaking the framed protocol: hello first in both directions, then frames. Writes made
 * in one event-loop turn leave as one batch (TurnWriter), and Nagle is off
 * so a lone request is not held back 40 ms waiting for company. Anything the peer sends that is
 * not the protocol closes the connection with a logged reason; it never throws out of a socket
 * callback.
 */
export class FramedConnection {
  private state: "handshaking" | "ready" | "closed" = "handshaking";
  private readonly decoder: FrameDecoder;
  private timer: TimerHandle | undefined;
  private readonly writer: TurnWriter;
  private socketError: Error | undefined;
  private peerHello: Hello | undefined;

  constructor(
    private readonly socket: Socket,
    private readonly options: FramedConnectionOptions,
    private readonly components: { clock: Clock; logger: Logger },
    private readonly events: FramedConnectionEvents,
  ) {
    this.decoder = new FrameDecoder(Math.min(HELLO_FRAME_BYTES_MAX, options.frameBytesMax));
    this.writer = new TurnWriter(socket);
    socket.setNoDelay(true);
    socket.setKeepAlive(true, KEEPALIVE_INITIAL_DELAY_MS);
    socket.on("data", (chunk: Buffer) => this.onData(chunk));
    socket.on("error", (error) => {
      this.socketError = error;
    });
    socket.on("close", () => this.onSocketClose());
    if (options.direction === "outbound" && socket.connecting) {
      // An unreachable host is routine (the peer is down), not a misbehaving peer: no warning.
      this.startTimer(options.connectTimeoutMs, `no connection within ${options.connectTimeoutMs} ms`, false);
      socket.once("connect", () => {
        if (this.state === "handshaking") {
          this.startTimer(
            options.handshakeTimeoutMs,
            `no handshake within ${options.handshakeTimeoutMs} ms`,
            true,
          );
        }
      });
    } else {
      this.startTimer(
        options.handshakeTimeoutMs,
        `no handshake within ${options.handshakeTimeoutMs} ms`,
        true,
      );
    }
    // A socket still connecting buffers this until it is connected.
    this.writeFrame([encodeHello(options.ourHello)]);
  }

  get isReady(): boolean {
    return this.state === "ready";
  }

  get isClosed(): boolean {
    return this.state === "closed";
  }

  /** The peer's hello, once ready. */
  get peer(): Hello | undefined {
    return this.peerHello;
  }

  /** Bytes written but not yet handed to the kernel. */
  get bufferedBytes(): number {
    return this.socket.writableLength;
  }

  /** Writes one frame whose payload is `parts` concatenated. Throws FrameTooLargeError. */
  write(parts: readonly Uint8Array[]): void {
    if (this.state !== "ready") return;
    this.writeFrame(parts);
  }

  /**
   * Closes the connection now. `error` is what its pending requests reject with; `logReason`, if
   * given, is logged as a warning (a misbehaving peer), otherwise the close is routine.
   */
  close(error: RingkvError, logReason?: string): void {
    if (this.state === "closed") return;
    if (logReason !== undefined) {
      this.components.logger.warn(
        { peer: this.options.peerLabel, peerId: this.peerHello?.id, reason: logReason },
        "closing inter-node connection",
      );
    }
    this.finish(error);
    this.socket.destroy();
  }

  private writeFrame(parts: readonly Uint8Array[]): void {
    const buffers = encodeFrame(parts, this.options.frameBytesMax);
    this.writer.write(buffers);
    const bufferMax = this.options.writeBufferBytesMax;
    if (bufferMax !== undefined && this.socket.writableLength > bufferMax && !this.socket.isPaused()) {
      this.socket.pause();
      this.socket.once("drain", () => {
        if (this.state !== "closed") this.socket.resume();
      });
    }
  }

  private onData(chunk: Buffer): void {
    if (this.state === "closed") return;
    // The hello is read alone, under the small limit for strangers; what follows it in the same
    // chunk is read once the limit is raised for a peer that passed the handshake.
    if (this.state === "handshaking") {
      if (chunk[0] === TLS_HANDSHAKE_RECORD && !(this.socket instanceof TLSSocket)) {
        this.protocolViolation(
          "the peer speaks TLS but this node's inter-node port is plaintext (give it --peer-tls-cert, --peer-tls-key and --peer-tls-ca)",
        );
        return;
      }
      const [hello] = this.decode(chunk, 1) ?? [];
      if (hello === undefined || this.isClosed) return;
      this.onHello(hello);
      if (!this.isReady) return;
      chunk = Buffer.alloc(0);
    }
    for (const payload of this.decode(chunk) ?? []) {
      // Handling one frame may close the connection; the rest of the chunk is then ignored.
      if (this.isClosed) return;
      this.onPayload(payload);
    }
  }

  /** The frames `chunk` completes, or undefined when the peer broke the framing (then closed). */
  private decode(chunk: Buffer, framesMax?: number): Buffer[] | undefined {
    try {
      return this.decoder.push(chunk, framesMax);
    } catch (error) {
      if (error instanceof FrameTooLargeError) {
        this.protocolViolation(error.message);
        return undefined;
      }
      throw error;
    }
  }

  private onHello(payload: Buffer): void {
    let hello: Hello;
    try {
      hello = decodeHello(payload);
    } catch (error) {
      if (error instanceof MalformedFrameError) {
        this.protocolViolation(`bad handshake: ${error.message}`);
        return;
      }
      throw error;
    }
    const reason = incompatibility(this.options.ourHello, hello);
    if (reason !== undefined) {
      this.close(new HandshakeError(this.options.peerLabel, reason), reason);
      return;
    }
    const certified = this.certifiedId();
    if (certified !== undefined && certified !== hello.id) {
      const why = `peer's certificate is for CN=${certified || "(none)"} but it claims to be node ${hello.id}`;
      this.close(new HandshakeError(this.options.peerLabel, why), why);
      return;
    }
    this.clearTimer();
    this.state = "ready";
    this.decoder.setFrameBytesMax(this.options.frameBytesMax);
    this.peerHello = hello;
    this.events.onReady(hello);
  }

  /**
   * On a TLS connection, the node id the peer's certificate proves (its Subject CN, "" for none);
   * undefined on a plaintext one. The chain was verified against --peer-tls-ca before any byte
   * reached us, so only the CN is left to compare with the id the hello claims.
   */
  private certifiedId(): string | undefined {
    if (!(this.socket instanceof TLSSocket)) return undefined;
    const subject = this.socket.getPeerCertificate().subject as Record<string, string | string[]> | undefined;
    const cn = subject?.CN;
    return typeof cn === "string" ? cn : "";
  }

  private onPayload(payload: Buffer): void {
    let frame: WireFrame;
    try {
      frame = decodeWireFrame(payload);
    } catch (error) {
      if (error instanceof MalformedFrameError) {
        this.protocolViolation(error.message);
        return;
      }
      throw error;
    }
    this.events.onFrame(frame);
  }

  /** The peer broke the protocol: nothing more it sends on this connection can be trusted. */
  protocolViolation(reason: string): void {
    this.close(new PeerUnreachableError(this.options.peerLabel, `connection closed: ${reason}`), reason);
  }

  private onSocketClose(): void {
    if (this.state === "closed") return;
    const error = this.socketError;
    const reason =
      error !== undefined
        ? error.message
        : this.state === "handshaking" && !(this.socket instanceof TLSSocket)
          ? "the peer closed the connection before its handshake (a node whose inter-node port requires mutual TLS closes plaintext connections)"
          : "the peer closed the connection";
    if (this.state === "handshaking" && error !== undefined && isTlsFailure(error)) {
      // A certificate the other side refused (or that we refused): a misconfiguration or a
      // stranger, worth a warning on this side too, not a routine disconnect.
      this.components.logger.warn(
        { peer: this.options.peerLabel, reason, code: (error as NodeJS.ErrnoException).code },
        "inter-node TLS handshake failed",
      );
    } else {
      this.components.logger.debug({ peer: this.options.peerLabel, reason }, "inter-node connection closed");
    }
    this.finish(new PeerUnreachableError(this.options.peerLabel, reason, { cause: error }));
  }

  private finish(error: RingkvError): void {
    const wasReady = this.state === "ready";
    this.state = "closed";
    this.clearTimer();
    this.events.onClose(error, wasReady);
  }

  private startTimer(timeoutMs: number, reason: string, warn: boolean): void {
    this.clearTimer();
    this.timer = this.components.clock.setTimeout(() => {
      this.timer = undefined;
      if (this.state !== "handshaking") return;
      this.close(new PeerUnreachableError(this.options.peerLabel, reason), warn ? reason : undefined);
    }, timeoutMs);
  }

  private clearTimer(): void {
    if (this.timer !== undefined) this.components.clock.clearTimeout(this.timer);
    this.timer = undefined;
  }
}
