import assert from "node:assert/strict";
import { createServer, type Server, type Socket } from "node:net";
import {
  createServer as createTlsServer,
  type SecureContextOptions,
  type TLSSocket,
  type Server as TlsServer,
} from "node:tls";
import type { Clock } from "../clock/clock.js";
import { type Address, formatAddress, parseAddress } from "../config/address.js";
import type { Logger } from "../log/logger.js";
import { FrameTooLargeError, ListenError, PeerUnreachableError, TransportClosedError } from "./errors.js";
import { type Hello, PROTOCOL_VERSION } from "./handshake.js";
import { checkInteger, checkName, checkPeerLimits, type PeerLimits } from "./peer-limits.js";
import { TcpInboundSession } from "./tcp-inbound-session.js";
import { TcpPeerLink } from "./tcp-peer-link.js";
import { TLS_VERSION_MIN, type TlsMaterial } from "./tls-material.js";
import type { Message, RequestOptions, Transport, TransportHandler } from "./transport.js";
import { ENVELOPE_PREFIX_BYTES, encodeMessage } from "./wire.js";

export { PROTOCOL_VERSION } from "./handshake.js";

/** A node's limits and timeouts are in the option table (`peerTransport` in src/config/tunable-table.ts). */
export interface TcpTransportOptions extends PeerLimits {
  nodeId: string;
  clusterName: string;
  /** Where to accept inter-node connections; port 0 picks a free port (see `address` after start). */
  listen: { host: string; port: number };
  /**
   * The address peers dial, announced in the handshake and as `address`, when it differs from
   * `listen` (a 0.0.0.0 bind reached by a host name). Default: the bound listen address.
   */
  advertise?: { host: string; port: number };
  /** Time for a TCP connection to a peer to be established. */
  connectTimeoutMs: number;
  /** Time for the other side's handshake to arrive once connected (both directions). */
  handshakeTimeoutMs: number;
  /** First wait after a failed connection attempt; doubles per further failure up to the max. */
  reconnectBackoffMinMs: number;
  reconnectBackoffMaxMs: number;
  /** Connections accepted at once; the kernel refuses more. */
  inboundConnectionsMax: number;
  /** Close an outbound connection that carried nothing for this long (never, when unset). */
  idleTimeoutMs?: number;
  /**
   * The protocol version this node announces. Only a test of version refusal sets it; leave it
   * unset (PROTOCOL_VERSION) everywhere else.
   */
  protocolVersion?: number;
  /**
   * Mutual TLS: with it the port speaks only TLS, both sides present a certificate signed by
   * `ca`, and a peer's certificate CN must be the node id its hello claims (framed-connection.ts).
   */
  tls?: TlsMaterial;
}

export interface TcpTransportComponents {
  clock: Clock;
  logger: Logger;
}

/**
 * The Transport between processes: raw TCP, length-prefixed MessagePack frames, a handshake on
 * every connection, one outbound connection per peer carrying this node's requests and one-way
 * messages, and inbound connections carrying other nodes' requests and our answers. The wire
 * format is documented in wire.ts and handshake.ts.
 */
export class TcpTransport implements Transport {
  private state: "new" | "starting" | "started" | "stopped" = "new";
  private server: Server | undefined;
  private boundAddress: string;
  private ourHello: Hello | undefined;
  private handler: TransportHandler | undefined;
  private readonly links = new Map<string, TcpPeerLink>();
  private readonly sessions = new Set<TcpInboundSession>();
  private stopping: Promise<void> | undefined;
  private tlsMaterial: TlsMaterial | undefined;

  constructor(
    private readonly options: TcpTransportOptions,
    private readonly components: TcpTransportComponents,
  ) {
    checkName("nodeId", options.nodeId);
    checkName("clusterName", options.clusterName);
    checkPeerLimits(options);
    checkInteger("listen.port", options.listen.port, 0, 65535);
    checkInteger("connectTimeoutMs", options.connectTimeoutMs, 1, 3_600_000);
    checkInteger("handshakeTimeoutMs", options.handshakeTimeoutMs, 1, 3_600_000);
    checkInteger("reconnectBackoffMinMs", options.reconnectBackoffMinMs, 0, 3_600_000);
    checkInteger(
      "reconnectBackoffMaxMs",
      options.reconnectBackoffMaxMs,
      options.reconnectBackoffMinMs,
      3_600_000,
    );
    checkInteger("inboundConnectionsMax", options.inboundConnectionsMax, 1, 1_000_000);
    if (options.idleTimeoutMs !== undefined)
      checkInteger("idleTimeoutMs", options.idleTimeoutMs, 1, 86_400_000);
    if (options.advertise !== undefined) checkInteger("advertise.port", options.advertise.port, 1, 65535);
    this.boundAddress = formatAddress(options.advertise ?? options.listen);
    this.tlsMaterial = options.tls;
    if (options.tls !== undefined)
      assert(options.tls.ca !== undefined, "inter-node TLS is mutual: it needs a CA");
  }

  /** Whether the port speaks mutual TLS. */
  get secure(): boolean {
    return this.tlsMaterial !== undefined;
  }

  /**
   * New certificate files (SIGHUP): connections accepted or opened from now on use them; open
   * ones keep theirs, so nothing in flight is cut.
   */
  reloadTls(material: TlsMaterial): void {
    assert(this.tlsMaterial !== undefined, "reloadTls on a plaintext transport");
    this.tlsMaterial = material;
    if (this.server !== undefined && "setSecureContext" in this.server)
      (this.server as TlsServer).setSecureContext(tlsContext(material));
  }

  get address(): string {
    return this.boundAddress;
  }

  async start(handler: TransportHandler): Promise<void> {
    assert(this.state === "new", `TcpTransport.start() called when ${this.state}`);
    this.state = "starting";
    this.handler = handler;
    const server = this.createListener();
    server.maxConnections = this.options.inboundConnectionsMax;
    const listen = this.options.listen;
    try {
      await new Promise<void>((resolve, reject) => {
        server.once("error", reject);
        server.listen({ host: listen.host, port: listen.port, exclusive: true }, () => {
          server.off("error", reject);
          resolve();
        });
      });
    } catch (error) {
      this.state = "stopped";
      const reason = error instanceof Error ? error.message : String(error);
      throw new ListenError(formatAddress(listen), reason, { cause: error });
    }
    if (this.state !== "starting") {
      // stop() was called while listening; honour it.
      server.close();
      throw new TransportClosedError();
    }
    server.on("error", (error) => this.components.logger.error({ err: error }, "inter-node listener failed"));
    const bound = server.address();
    assert(bound !== null && typeof bound === "object", "a TCP server listens on an address");
    this.server = server;
    this.boundAddress = formatAddress(this.options.advertise ?? { host: listen.host, port: bound.port });
    this.ourHello = {
      protocol: this.options.protocolVersion ?? PROTOCOL_VERSION,
      cluster: this.options.clusterName,
      id: this.options.nodeId,
      address: this.boundAddress,
    };
    this.state = "started";
    this.components.logger.info(
      { address: this.boundAddress, bound: formatAddress({ host: listen.host, port: bound.port }) },
      "inter-node transport listening",
    );
  }

  stop(): Promise<void> {
    this.stopping ??= this.close();
    return this.stopping;
  }

  request(peer: string, message: Message, options: RequestOptions): Promise<Message> {
    if (this.state !== "started") return Promise.reject(new TransportClosedError());
    if (options.signal?.aborted === true) return Promise.reject(options.signal.reason);
    let body: Buffer;
    try {
      body = encodeMessage(message);
    } catch (error) {
      return Promise.reject(error);
    }
    const frameBytes = ENVELOPE_PREFIX_BYTES + body.length;
    if (frameBytes > this.options.frameBytesMax) {
      return Promise.reject(new FrameTooLargeError(frameBytes, this.options.frameBytesMax));
    }
    const link = this.linkFor(peer);
    if (link === undefined) return Promise.reject(new PeerUnreachableError(peer, "not a host:port address"));
    return link.request(body, options);
  }

  send(peer: string, message: Message): void {
    if (this.state !== "started") return;
    let body: Buffer;
    try {
      body = encodeMessage(message);
    } catch (error) {
      this.components.logger.error({ err: error, peer }, "unencodable one-way message dropped");
      return;
    }
    if (ENVELOPE_PREFIX_BYTES + body.length > this.options.frameBytesMax) {
      this.components.logger.warn(
        { peer, type: message.type, bytes: body.length },
        "oversized one-way message dropped",
      );
      return;
    }
    this.linkFor(peer)?.send(body);
  }

  private linkFor(peer: string): TcpPeerLink | undefined {
    const existing = this.links.get(peer);
    if (existing !== undefined) return existing;
    let target: Address;
    try {
      target = parseAddress(peer, "peer address");
    } catch {
      return undefined;
    }
    const ourHello = this.ourHello;
    assert(ourHello !== undefined, "a started transport has a hello");
    const link = new TcpPeerLink(
      peer,
      target,
      {
        ourHello,
        frameBytesMax: this.options.frameBytesMax,
        inFlightPerPeerMax: this.options.inFlightPerPeerMax,
        waitQueuePerPeerMax: this.options.waitQueuePerPeerMax,
        connectTimeoutMs: this.options.connectTimeoutMs,
        handshakeTimeoutMs: this.options.handshakeTimeoutMs,
        reconnectBackoffMinMs: this.options.reconnectBackoffMinMs,
        reconnectBackoffMaxMs: this.options.reconnectBackoffMaxMs,
        idleTimeoutMs: this.options.idleTimeoutMs,
        tls: () => this.tlsMaterial,
      },
      this.components,
    );
    this.links.set(peer, link);
    return link;
  }

  private createListener(): Server {
    const material = this.tlsMaterial;
    if (material === undefined) {
      const server = createServer({ noDelay: true, pauseOnConnect: false });
      server.on("connection", (socket) => this.accept(socket));
      return server;
    }
    const server = createTlsServer({
      ...tlsContext(material),
      requestCert: true,
      rejectUnauthorized: true,
      handshakeTimeout: this.options.handshakeTimeoutMs,
      noDelay: true,
    });
    server.on("secureConnection", (socket: TLSSocket) => this.accept(socket));
    server.on("tlsClientError", (error: NodeJS.ErrnoException, socket: TLSSocket) => {
      // Refused before any of its bytes reached the protocol: plaintext, no certificate, a
      // certificate from another CA, expired. Said once per connection attempt.
      this.components.logger.warn(
        {
          peer: `${socket.remoteAddress ?? "unknown"}:${socket.remotePort ?? 0}`,
          code: error.code,
          reason: error.message,
        },
        "refused inter-node connection: TLS handshake failed",
      );
    });
    return server;
  }

  private accept(socket: Socket): void {
    const handler = this.handler;
    const ourHello = this.ourHello;
    if (this.state !== "started" || handler === undefined || ourHello === undefined) {
      socket.destroy();
      return;
    }
    // Errors on an accepted socket are reported through its session's close, never thrown.
    const session = new TcpInboundSession(
      socket,
      {
        ourHello,
        frameBytesMax: this.options.frameBytesMax,
        handshakeTimeoutMs: this.options.handshakeTimeoutMs,
        inFlightMax: this.options.inFlightPerPeerMax,
      },
      this.components,
      handler,
      (closed) => this.sessions.delete(closed),
    );
    this.sessions.add(session);
  }

  private async close(): Promise<void> {
    const server = this.server;
    this.state = "stopped";
    const closed = new TransportClosedError();
    for (const link of this.links.values()) link.close(closed);
    this.links.clear();
    for (const session of [...this.sessions]) session.close(closed);
    assert(this.sessions.size === 0, "every inbound session closed");
    if (server === undefined) return;
    await new Promise<void>((resolve) => server.close(() => resolve()));
    this.components.logger.info({ address: this.boundAddress }, "inter-node transport stopped");
  }
}

/** What both ends of a mutual TLS connection are configured with. */
export function tlsContext(material: TlsMaterial): SecureContextOptions {
  return { cert: material.cert, key: material.key, ca: material.ca, minVersion: TLS_VERSION_MIN };
}
