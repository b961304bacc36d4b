import type { IncomingHttpHeaders } from "node:http";
import { connect as connectTcp, isIP, type Socket } from "node:net";
import { connect as connectTls } from "node:tls";
import {
  CLIENT_PROTOCOL_VERSION,
  decodeAnswer,
  decodeNodeHello,
  encodeClientHello,
  encodeRequest,
  HELLO_BYTES_MAX,
  PREFACE,
} from "../client-wire/index.js";
import { encodeFrame, FrameDecoder } from "../net/frame-codec.js";
import { TurnWriter } from "../net/turn-writer.js";
import { REQUEST_ID_MAX } from "../net/wire.js";
import { ExchangeFailedError, type HttpAnswer } from "./http-exchange.js";

export interface BinaryConnectionOptions {
  /** The node's client URL; `https:` connects with TLS. */
  url: URL;
  /** PEM CA the node's certificate is checked against (https); undefined: the system's. */
  ca: string | Buffer | undefined;
  /** The connection and both hellos must be done within this time. */
  connectTimeoutMs: number;
  /** Larger answers are refused: the connection is closed and its requests fail. */
  answerBytesMax: number;
  /** Closed after this long with nothing in flight (shorter than the node's own idle limit). */
  idleTimeoutMs: number;
}

/** The node answered the preface as something that does not speak the binary protocol (an older node's HTTP 400). */
export class BinaryUnsupportedError extends Error {
  override readonly name = "BinaryUnsupportedError";
}

/** Room in an answer frame for its status and headers on top of the body. */
const ANSWER_FRAMING_BYTES = 64 * 1024;
const HTTP_ANSWER_START = Buffer.from("HTTP/");

interface Pending {
  resolve(answer: HttpAnswer): void;
  reject(error: Error): void;
  timer: NodeJS.Timeout;
}

/**
 * One connection to one node speaking the binary client protocol (src/client-wire/frames.ts):
 * any number of requests in flight, each answered by id. No request is written before the node's
 * hello arrived, so a connection that fails before it (or finds an older node) has sent nothing.
 */
export class BinaryConnection {
  private readonly pending = new Map<number, Pending>();
  private readonly decoder = new FrameDecoder(HELLO_BYTES_MAX);
  private nextId = 1;
  private readonly writer: TurnWriter;
  private closedError: Error | undefined;

  private constructor(
    private readonly socket: Socket,
    private readonly options: BinaryConnectionOptions,
  ) {
    this.writer = new TurnWriter(socket);
  }

  /** Connects and exchanges hellos; rejects with BinaryUnsupportedError or ExchangeFailedError (notSent). */
  static open(options: BinaryConnectionOptions): Promise<BinaryConnection> {
    const { url } = options;
    const host = url.hostname.replace(/^\[|\]$/g, "");
    const port = Number(url.port || (url.protocol === "https:" ? 443 : 80));
    const socket =
      url.protocol === "https:"
        ? connectTls({ host, port, ca: options.ca, ...(isIP(host) === 0 ? { servername: host } : {}) })
        : connectTcp({ host, port });
    socket.setNoDelay(true);
    const connection = new BinaryConnection(socket, options);
    return connection.handshake();
  }

  /** Requests written and not yet answered. */
  get inFlight(): number {
    return this.pending.size;
  }

  get isOpen(): boolean {
    return this.closedError === undefined && !this.socket.destroyed;
  }

  /** One request; rejects with ExchangeFailedError when the connection breaks or no answer comes in time. */
  request(
    method: string,
    target: string,
    headers: Record<string, string>,
    body: Uint8Array | string | undefined,
    timeoutMs: number,
  ): Promise<HttpAnswer> {
    if (!this.isOpen)
      return Promise.reject(
        this.failure(`connection is closed: ${this.closedError?.message ?? "closed"}`, true),
      );
    const id = this.nextId;
    this.nextId = this.nextId >= REQUEST_ID_MAX ? 1 : this.nextId + 1;
    const bytes = typeof body === "string" ? Buffer.from(body, "utf8") : body;
    const payload = encodeRequest({ id, method, target, headers, body: bytes });
    return new Promise<HttpAnswer>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        this.idleRef();
        reject(this.failure(`no answer within ${timeoutMs} ms`, false));
      }, timeoutMs);
      this.pending.set(id, { resolve, reject, timer });
      this.socket.ref();
      this.write(payload);
    });
  }

  close(): void {
    this.socket.destroy();
  }

  private handshake(): Promise<BinaryConnection> {
    const { socket, options } = this;
    return new Promise<BinaryConnection>((resolve, reject) => {
      let ready = false;
      const timer = setTimeout(
        () => socket.destroy(new Error(`no handshake within ${options.connectTimeoutMs} ms`)),
        options.connectTimeoutMs,
      );
      const fail = (error: Error): void => {
        clearTimeout(timer);
        socket.destroy();
        reject(error);
      };
      let first = true;
      socket.on("data", (chunk: Buffer) => {
        if (ready) {
          this.onData(chunk);
          return;
        }
        if (first && HTTP_ANSWER_START.subarray(0, chunk.length).equals(chunk.subarray(0, 5))) {
          fail(new BinaryUnsupportedError(`${options.url.origin} answers the binary preface with HTTP`));
          return;
        }
        first = false;
        try {
          const [payload] = this.decoder.push(chunk, 1);
          if (payload === undefined) return;
          const hello = decodeNodeHello(payload);
          if (hello.error !== undefined) {
            fail(new BinaryUnsupportedError(`${options.url.origin}: ${hello.error}`));
            return;
          }
          ready = true;
          clearTimeout(timer);
          this.decoder.setFrameBytesMax(options.answerBytesMax + ANSWER_FRAMING_BYTES);
          socket.setTimeout(options.idleTimeoutMs, () => {
            if (this.pending.size === 0) socket.destroy();
          });
          this.idleRef();
          resolve(this);
          // Anything after the hello in the same chunk (nothing, as no request was sent yet).
          this.onData(Buffer.alloc(0));
        } catch (error) {
          fail(this.failure(`bad handshake: ${(error as Error).message}`, true));
        }
      });
      socket.on("error", (error) => {
        this.closedError ??= error;
      });
      socket.on("close", () => {
        clearTimeout(timer);
        const reason = this.closedError?.message ?? "connection closed";
        this.closedError ??= new Error(reason);
        if (!ready) {
          reject(this.failure(reason, true));
          return;
        }
        for (const [id, entry] of this.pending) {
          clearTimeout(entry.timer);
          this.pending.delete(id);
          entry.reject(this.failure(reason, false));
        }
      });
      this.writer.write([PREFACE]);
      this.write(encodeClientHello({ protocol: CLIENT_PROTOCOL_VERSION }));
    });
  }

  private onData(chunk: Buffer): void {
    let payloads: Buffer[];
    try {
      payloads = this.decoder.push(chunk);
    } catch (error) {
      this.socket.destroy(error as Error);
      return;
    }
    for (const payload of payloads) {
      let answer: ReturnType<typeof decodeAnswer>;
      try {
        answer = decodeAnswer(payload);
      } catch (error) {
        this.socket.destroy(error as Error);
        return;
      }
      const entry = this.pending.get(answer.id);
      // An answer to a request that timed out: nobody waits for it any more.
      if (entry === undefined) continue;
      this.pending.delete(answer.id);
      clearTimeout(entry.timer);
      const body =
        answer.body === undefined
          ? Buffer.alloc(0)
          : Buffer.from(answer.body.buffer, answer.body.byteOffset, answer.body.byteLength);
      entry.resolve({ status: answer.status, headers: answer.headers as IncomingHttpHeaders, body });
    }
    this.idleRef();
  }

  /** A client with only idle connections must not keep its process alive. */
  private idleRef(): void {
    if (this.pending.size === 0) this.socket.unref();
  }

  private write(payload: Buffer): void {
    this.writer.write(encodeFrame([payload], Number.MAX_SAFE_INTEGER));
  }

  private failure(reason: string, notSent: boolean): ExchangeFailedError {
    return new ExchangeFailedError(`cannot reach ${this.options.url.origin}: ${reason}`, notSent, {
      cause: this.closedError,
    });
  }
}

/**
 * The binary connections to one node: requests go to the connection with the fewest in flight,
 * and another is opened (up to `connectionsMax`) once each has `inFlightPerConnection`.
 */
export class BinaryPool {
  private readonly connections: BinaryConnection[] = [];
  private opening: Promise<BinaryConnection> | undefined;

  constructor(
    private readonly options: BinaryConnectionOptions & {
      connectionsMax: number;
      inFlightPerConnection: number;
    },
  ) {}

  async connection(): Promise<BinaryConnection> {
    this.prune();
    let best: BinaryConnection | undefined;
    for (const c of this.connections) if (best === undefined || c.inFlight < best.inFlight) best = c;
    const full = best === undefined || best.inFlight >= this.options.inFlightPerConnection;
    if (
      best !== undefined &&
      (!full || this.connections.length + (this.opening ? 1 : 0) >= this.options.connectionsMax)
    )
      return best;
    this.opening ??= BinaryConnection.open(this.options)
      .then((opened) => {
        this.connections.push(opened);
        return opened;
      })
      .finally(() => {
        this.opening = undefined;
      });
    return this.opening;
  }

  close(): void {
    for (const c of this.connections) c.close();
    this.connections.length = 0;
  }

  private prune(): void {
    for (let i = this.connections.length - 1; i >= 0; i--) {
      if (!this.connections[i]?.isOpen) this.connections.splice(i, 1);
    }
  }
}
