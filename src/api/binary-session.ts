import type { IncomingHttpHeaders } from "node:http";
import type { Socket } from "node:net";
import {
  BadWireRequestError,
  CLIENT_PROTOCOL_VERSION,
  decodeClientHello,
  decodeRequest,
  encodeAnswer,
  encodeNodeHello,
  HELLO_BYTES_MAX,
  PREFACE,
  type WireRequest,
} from "../client-wire/index.js";
import { BadRequestError, OverloadedError, ValueTooLargeError } from "../errors.js";
import type { Logger } from "../log/logger.js";
import type { NodeMetrics } from "../metrics/node-metrics.js";
import { FrameTooLargeError, MalformedFrameError } from "../net/errors.js";
import { encodeFrame, FrameDecoder } from "../net/frame-codec.js";
import { TurnWriter } from "../net/turn-writer.js";
import type { ApiRequest } from "./api-request.js";
import { errorReply } from "./error-response.js";
import type { Reply } from "./reply.js";

/** After the node ends a connection, the client has this long to close its side. */
const CLOSE_LINGER_MS = 2_000;

export interface BinarySessionLimits {
  /** Largest request frame: the value limit plus room for the target and headers. */
  frameBytesMax: number;
  /** Target plus headers of one request, as HTTP's header limit. */
  headersBytesMax: number;
  /** Requests of one connection handled at once; more are answered 503 overloaded. */
  requestsInFlightMax: number;
  /** While more answer bytes than this wait to be sent, the connection's requests are not read. */
  writeBufferBytesMax: number;
  /** The preface and hello must arrive within this time. */
  helloTimeoutMs: number;
  /** A connection with nothing in flight is closed after this long without a request. */
  idleTimeoutMs: number;
}

export interface BinarySessionDeps {
  nodeId: string;
  limits: BinarySessionLimits;
  /** Runs one request through the server's limits, router, access control and handler; never rejects. */
  dispatch(request: ApiRequest): Promise<Reply>;
  logger: Logger;
  metrics: NodeMetrics;
  onClose(session: BinarySession): void;
}

/**
 * One client connection speaking the binary client protocol (src/client-wire/frames.ts), from
 * its preface to its close. Requests are multiplexed: each is handed to `dispatch` as it is
 * read, and its answer is written whenever it is ready; the answers of one event-loop turn leave
 * in one socket write. Anything that is not the protocol closes the connection (counted, never
 * thrown); a request with a readable id and a bad field is answered 400 and the connection goes on.
 */
export class BinarySession {
  private state: "preface" | "hello" | "ready" | "closing" | "closed" = "preface";
  private readonly decoder = new FrameDecoder(HELLO_BYTES_MAX);
  private prefaceSeen = 0;
  private inFlight = 0;
  private readonly writer: TurnWriter;
  private pausedForWrites = false;
  private readonly helloTimer: NodeJS.Timeout;
  /** Resolves when the socket has closed. */
  private readonly closed: Promise<void>;

  constructor(
    private readonly socket: Socket,
    first: Buffer,
    private readonly deps: BinarySessionDeps,
  ) {
    deps.metrics.clientConnections.inc({ protocol: "binary" });
    this.writer = new TurnWriter(socket);
    socket.setNoDelay(true);
    this.helloTimer = setTimeout(
      () => this.fail(`no hello within ${deps.limits.helloTimeoutMs} ms`),
      deps.limits.helloTimeoutMs,
    );
    socket.setTimeout(deps.limits.idleTimeoutMs, () => {
      if (this.inFlight === 0) this.close();
    });
    socket.on("data", (chunk: Buffer) => this.onData(chunk));
    socket.on("drain", () => {
      if (this.pausedForWrites) {
        this.pausedForWrites = false;
        socket.resume();
      }
    });
    socket.on("error", () => this.socket.destroy());
    this.closed = new Promise<void>((resolve) => {
      socket.on("close", () => {
        clearTimeout(this.helloTimer);
        this.state = "closed";
        this.deps.onClose(this);
        resolve();
      });
    });
    this.onData(first);
    socket.resume();
  }

  /**
   * Shutdown: requests read from now on are not taken (the client sees the connection close
   * and another node gets them); answers to those in flight are still written, then it closes.
   * Resolves once the connection is closed.
   */
  shutdown(): Promise<void> {
    if (this.state !== "closed" && this.state !== "closing") {
      this.state = "closing";
      this.socket.pause();
      if (this.inFlight === 0) this.close();
    }
    return this.closed;
  }

  /** Cuts the connection at once (the shutdown grace period is over). */
  destroy(): void {
    this.socket.destroy();
  }

  private onData(chunk: Buffer): void {
    if (this.state === "closing" || this.state === "closed") return;
    let rest = chunk;
    if (this.state === "preface") {
      const needed = PREFACE.length - this.prefaceSeen;
      const part = rest.subarray(0, needed);
      if (!part.equals(PREFACE.subarray(this.prefaceSeen, this.prefaceSeen + part.length))) {
        this.fail("the connection does not start with the binary client protocol's preface");
        return;
      }
      this.prefaceSeen += part.length;
      rest = rest.subarray(part.length);
      if (this.prefaceSeen < PREFACE.length) return;
      this.state = "hello";
    }
    try {
      if (this.state === "hello") {
        // Only the hello is read under the hello's limit; what follows waits for the larger one.
        const [hello] = this.decoder.push(rest, 1);
        rest = Buffer.alloc(0);
        if (hello === undefined) return;
        this.onHello(hello);
        if (!this.isReady()) return;
      }
      for (const frame of this.decoder.push(rest)) {
        if (!this.isReady()) return;
        this.onRequestFrame(frame);
      }
    } catch (error) {
      const reason =
        error instanceof FrameTooLargeError || error instanceof MalformedFrameError
          ? error.message
          : `unreadable frame: ${String(error)}`;
      this.fail(reason);
    }
  }

  private isReady(): boolean {
    return this.state === "ready";
  }

  private onHello(payload: Buffer): void {
    const hello = decodeClientHello(payload);
    clearTimeout(this.helloTimer);
    if (hello.protocol !== CLIENT_PROTOCOL_VERSION) {
      this.write(
        encodeNodeHello({
          protocol: CLIENT_PROTOCOL_VERSION,
          error: `this node speaks client protocol ${CLIENT_PROTOCOL_VERSION}, not ${hello.protocol}`,
        }),
      );
      this.close();
      return;
    }
    this.state = "ready";
    this.decoder.setFrameBytesMax(this.deps.limits.frameBytesMax);
    this.write(
      encodeNodeHello({
        protocol: CLIENT_PROTOCOL_VERSION,
        node: this.deps.nodeId,
        frameBytesMax: this.deps.limits.frameBytesMax,
      }),
    );
  }

  private onRequestFrame(payload: Buffer): void {
    let request: WireRequest;
    try {
      request = decodeRequest(payload, this.deps.limits.headersBytesMax);
    } catch (error) {
      if (!(error instanceof BadWireRequestError)) throw error;
      this.answer(
        error.requestId,
        "GET",
        errorReplyOf(new BadRequestError(`bad request frame: ${error.message}`)),
      );
      return;
    }
    if (this.inFlight >= this.deps.limits.requestsInFlightMax) {
      this.deps.metrics.requestsRejected.inc({ reason: "overloaded" });
      const refusal = new OverloadedError(
        `more than ${this.deps.limits.requestsInFlightMax} requests in flight on one connection`,
      );
      this.answer(request.id, request.method, errorReplyOf(refusal));
      return;
    }
    this.inFlight += 1;
    void this.deps.dispatch(new BinaryApiRequest(request, this.socket)).then((reply) => {
      this.inFlight -= 1;
      this.answer(request.id, request.method, reply);
      if (this.state === "closing" && this.inFlight === 0) this.close();
    });
  }

  private answer(id: number, method: string, reply: Reply): void {
    if (this.state === "closed") return;
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(reply.headers ?? {})) {
      if (value === undefined) continue;
      headers[name.toLowerCase()] = Array.isArray(value) ? value.join(", ") : String(value);
    }
    // As HTTP does: a HEAD answer has the GET's headers and no body.
    const body =
      method === "HEAD" || reply.body === undefined
        ? undefined
        : typeof reply.body === "string"
          ? Buffer.from(reply.body, "utf8")
          : reply.body;
    this.write(encodeAnswer({ id, status: reply.status, headers, body }));
    if (this.socket.writableLength > this.deps.limits.writeBufferBytesMax && !this.pausedForWrites) {
      // The client sends requests and does not read their answers: stop reading its requests.
      this.pausedForWrites = true;
      this.socket.pause();
    }
  }

  private write(payload: Buffer): void {
    this.writer.write(encodeFrame([payload], Number.MAX_SAFE_INTEGER));
  }

  private fail(reason: string): void {
    if (this.state === "closed") return;
    this.deps.metrics.requestsRejected.inc({ reason: "malformed_binary" });
    // A stranger's garbage is worth a debug line, not a warning per connection it opens.
    this.deps.logger.debug({ source: this.socket.remoteAddress, reason }, "binary client connection closed");
    this.state = "closed";
    this.socket.destroy();
  }

  private close(): void {
    if (this.state === "closed") return;
    this.state = "closed";
    this.socket.end();
    // The client port allows half-open sockets (node:http's choice): a client that never closes
    // its side is cut off after a moment rather than kept.
    setTimeout(() => this.socket.destroy(), CLOSE_LINGER_MS).unref();
  }
}

/** A request of the binary protocol as the router and handlers see every request. */
class BinaryApiRequest implements ApiRequest {
  readonly method: string;
  readonly url: string;
  readonly headers: Readonly<IncomingHttpHeaders>;

  constructor(
    private readonly request: WireRequest,
    readonly socket: Socket,
  ) {
    this.method = request.method;
    this.url = request.target;
    // One string per name (the protocol has no repeated headers); node:http types set-cookie as
    // a list, a request header nothing here reads.
    this.headers = request.headers as IncomingHttpHeaders;
  }

  readBody(bytesMax: number): Promise<Buffer> {
    const body = this.request.body;
    if (body === undefined) return Promise.resolve(Buffer.alloc(0));
    if (body.length > bytesMax) return Promise.reject(new ValueTooLargeError(bytesMax));
    return Promise.resolve(Buffer.from(body.buffer, body.byteOffset, body.byteLength));
  }
}

function errorReplyOf(error: BadRequestError | OverloadedError): Reply {
  const reply = errorReply(error);
  if (reply === undefined) throw new Error(`no status for ${error.code}`);
  return reply;
}
