import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { createServer as createHttpsServer, type Server as HttpsServer } from "node:https";
import type { Socket } from "node:net";
import { PREFACE } from "../client-wire/index.js";
import { type Address, formatAddress } from "../config/address.js";
import type { HttpServerLimits } from "../config/node-options.js";
import {
  ConfigError,
  MethodNotAllowedError,
  NotFoundError,
  OverloadedError,
  RingkvError,
  ShuttingDownError,
} from "../errors.js";
import type { Logger } from "../log/logger.js";
import type { NodeMetrics } from "../metrics/node-metrics.js";
import { TLS_VERSION_MIN, type TlsMaterial } from "../net/tls-material.js";
import { type ApiRequest, HttpApiRequest } from "./api-request.js";
import type { AccessControl, Admission } from "./auth/access-control.js";
import { BinarySession, type BinarySessionLimits } from "./binary-session.js";
import { errorReply, internalErrorReply } from "./error-response.js";
import type { Reply } from "./reply.js";
import { type Router, splitTarget } from "./router.js";

export interface ApiServerDeps {
  /** This node's id, which a binary client's hello is answered with. */
  nodeId: string;
  router: Router;
  limits: HttpServerLimits;
  valueBytesMax: number;
  logger: Logger;
  metrics: NodeMetrics;
  /** HTTPS with this certificate (and, with a CA, client certificates); undefined: plain HTTP. */
  tls?: TlsMaterial | undefined;
  /** Who may do what (src/api/auth); every request passes it before its handler. */
  access: AccessControl;
}

/** Frames of the binary protocol carry a value plus its target and headers; this is room for the framing. */
const BINARY_FRAMING_BYTES = 64 * 1024;
/** Answers waiting to be sent on one binary connection before its requests stop being read (answers with siblings can be several values). */
const BINARY_WRITE_BUFFER_BYTES_MIN = 16 * 1024 * 1024;

/**
 * The client port: HTTP/1.1 and the binary client protocol (src/client-wire) on one address,
 * told apart by a connection's first byte. Bounded connections and in-flight requests, every
 * error as JSON, and a shutdown that lets in-flight requests finish before connections are cut.
 */
export class ApiServer {
  private readonly server: Server;
  private readonly binarySessions = new Set<BinarySession>();
  private readonly binaryLimits: BinarySessionLimits;
  private inFlight = 0;
  private stopping = false;
  private drained: (() => void) | undefined;

  constructor(private readonly deps: ApiServerDeps) {
    const limits = deps.limits;
    const http = {
      maxHeaderSize: limits.headersBytesMax,
      headersTimeout: limits.headersTimeoutMs,
      requestTimeout: limits.requestTimeoutMs,
      keepAliveTimeout: limits.keepAliveTimeoutMs,
      // Reject request smuggling shapes instead of guessing.
      insecureHTTPParser: false,
      joinDuplicateHeaders: false,
    };
    this.server =
      deps.tls === undefined ? createServer(http) : createHttpsServer({ ...http, ...httpsContext(deps.tls) });
    this.server.maxConnections = limits.connectionsMax;
    this.server.on("request", (req: IncomingMessage, res: ServerResponse) => this.handle(req, res));
    this.server.on("checkContinue", (req: IncomingMessage, res: ServerResponse) => {
      // Refuse an oversized body before the client sends it.
      const declared = Number(req.headers["content-length"] ?? 0);
      if (declared > this.deps.valueBytesMax) {
        void this.handle(req, res);
        return;
      }
      res.writeContinue();
      void this.handle(req, res);
    });
    this.server.on("clientError", (error: NodeJS.ErrnoException, socket: Socket) =>
      this.onClientError(error, socket),
    );
    const frameBytesMax = deps.valueBytesMax + limits.headersBytesMax + BINARY_FRAMING_BYTES;
    this.binaryLimits = {
      frameBytesMax,
      headersBytesMax: limits.headersBytesMax,
      requestsInFlightMax: limits.binaryRequestsPerConnectionMax,
      writeBufferBytesMax: Math.max(BINARY_WRITE_BUFFER_BYTES_MIN, 2 * frameBytesMax),
      helloTimeoutMs: limits.headersTimeoutMs,
      idleTimeoutMs: limits.binaryIdleTimeoutMs,
    };
    // node:http takes a connection on "connection" (TLS: "secureConnection", once decrypted).
    // Its listener is moved behind a look at the connection's first byte, so the server keeps
    // listening, limiting, timing out and closing connections exactly as before.
    const event = deps.tls === undefined ? "connection" : "secureConnection";
    const httpListeners = this.server.listeners(event) as ((socket: Socket) => void)[];
    this.server.removeAllListeners(event);
    this.server.on(event, (socket: Socket) => this.sniff(socket, httpListeners));
  }

  /**
   * Waits for a connection's first byte: the binary preface's zero byte starts a BinarySession,
   * anything else (an HTTP method's first letter) goes to node:http with the byte put back.
   */
  private sniff(socket: Socket, httpListeners: readonly ((socket: Socket) => void)[]): void {
    const timer = setTimeout(() => socket.destroy(), this.deps.limits.headersTimeoutMs);
    const onEarlyError = (): void => {
      clearTimeout(timer);
      socket.destroy();
    };
    socket.once("error", onEarlyError);
    socket.once("close", () => clearTimeout(timer));
    socket.once("data", (chunk: Buffer) => {
      clearTimeout(timer);
      socket.pause();
      socket.off("error", onEarlyError);
      if (chunk[0] === PREFACE[0] && !this.stopping) {
        const session = new BinarySession(socket, chunk, {
          nodeId: this.deps.nodeId,
          limits: this.binaryLimits,
          dispatch: (request) => this.dispatch(request),
          logger: this.deps.logger,
          metrics: this.deps.metrics,
          onClose: (closed) => this.binarySessions.delete(closed),
        });
        this.binarySessions.add(session);
        return;
      }
      this.deps.metrics.clientConnections.inc({ protocol: "http" });
      socket.unshift(chunk);
      for (const listener of httpListeners) listener.call(this.server, socket);
      socket.resume();
    });
  }

  /**
   * New certificate files (SIGHUP): connections made from now on get them; open connections and
   * the requests on them go on undisturbed.
   */
  reloadTls(material: TlsMaterial): void {
    if (this.deps.tls === undefined) return;
    (this.server as HttpsServer).setSecureContext(httpsContext(material));
    this.deps.logger.info("client API certificate reloaded");
  }

  /** Listens; resolves with the bound address (port 0 picks a free one). */
  start(address: Address): Promise<Address> {
    return new Promise((resolve, reject) => {
      const onError = (error: NodeJS.ErrnoException): void => {
        const where = formatAddress(address);
        if (error.code === "EADDRINUSE") reject(new ConfigError(`--http ${where} is already in use`));
        else if (error.code === "EADDRNOTAVAIL")
          reject(new ConfigError(`--http ${where} is not an address of this machine`));
        else if (error.code === "EACCES") reject(new ConfigError(`--http ${where}: permission denied`));
        else reject(new ConfigError(`--http ${where}: ${error.message}`));
      };
      this.server.once("error", onError);
      this.server.listen({ host: address.host, port: address.port, exclusive: true }, () => {
        this.server.off("error", onError);
        this.server.on("error", (error) => this.deps.logger.error({ err: error }, "http server error"));
        const bound = this.server.address();
        if (bound === null || typeof bound === "string") throw new Error("http server has no TCP address");
        resolve({ host: address.host, port: bound.port });
      });
    });
  }

  /** Stops accepting, lets in-flight requests finish (up to the grace period), then closes. */
  async stop(): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.server.closeIdleConnections();
    // A binary session closes itself once its last answer is written (shutdown), which is after
    // the request left `inFlight`: the grace period waits for both.
    const sessionsClosed = Promise.all([...this.binarySessions].map((session) => session.shutdown()));
    const requestsDone =
      this.inFlight === 0
        ? Promise.resolve()
        : new Promise<void>((resolve) => {
            this.drained = resolve;
          });
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.all([requestsDone, sessionsClosed]),
      new Promise<void>((resolve) => {
        timer = setTimeout(resolve, this.deps.limits.shutdownGraceMs);
      }),
    ]);
    clearTimeout(timer);
    this.server.closeAllConnections();
    for (const session of this.binarySessions) session.destroy();
    await closed;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const reply = await this.dispatch(new HttpApiRequest(req));
    this.write(req, res, reply);
  }

  /**
   * Runs one request, whichever protocol brought it, through the server's limits, the router,
   * access control and its handler; every failure becomes its error reply. Never rejects.
   */
  private async dispatch(request: ApiRequest): Promise<Reply> {
    let routeName = "unknown";
    let reply: Reply;
    let admission: Admission | undefined;
    const method = request.method;
    if (this.stopping) {
      this.deps.metrics.requestsRejected.inc({ reason: "shutting_down" });
      reply = this.replyForError(new ShuttingDownError("node is shutting down"));
    } else if (this.inFlight >= this.deps.limits.requestsInFlightMax) {
      this.deps.metrics.requestsRejected.inc({ reason: "overloaded" });
      reply = this.replyForError(
        new OverloadedError(`more than ${this.deps.limits.requestsInFlightMax} requests in flight`),
      );
    } else {
      this.inFlight += 1;
      try {
        const target = splitTarget(request.url);
        const match = target === undefined ? undefined : this.deps.router.match(target.segments);
        admission = this.deps.access.admit(request, match?.route.name, method);
        if (target === undefined || match === undefined)
          throw new NotFoundError(`no such endpoint: ${method} ${shorten(request.url)}`);
        routeName = match.route.name;
        const handler = match.route.methods[method];
        if (handler === undefined) throw new MethodNotAllowedError(method, Object.keys(match.route.methods));
        reply = await handler({
          req: request,
          params: match.params,
          query: target.query,
          principal: admission.principal,
        });
      } catch (error) {
        reply = this.replyForError(error);
      } finally {
        this.inFlight -= 1;
        this.drainedIfIdle();
      }
    }
    this.deps.metrics.httpRequests.inc({ route: routeName, method, status: String(reply.status) });
    if (admission?.access === "admin" && !(routeName === "metrics" && method === "GET")) {
      // An audit line for every admin action: who, what, the outcome.
      this.deps.logger.info(
        {
          audit: true,
          principal: admission.principal?.name ?? null,
          via: admission.principal?.via ?? null,
          source: request.socket.remoteAddress,
          method,
          url: shorten(request.url),
          status: reply.status,
        },
        "admin request",
      );
    }
    return reply;
  }

  private drainedIfIdle(): void {
    if (this.inFlight === 0) this.drained?.();
  }

  private replyForError(error: unknown): Reply {
    if (error instanceof RingkvError) {
      const reply = errorReply(error);
      if (reply !== undefined) return reply;
    }
    this.deps.logger.error({ err: error }, "request failed with an unexpected error");
    return internalErrorReply();
  }

  private write(req: IncomingMessage, res: ServerResponse, reply: Reply): void {
    if (res.headersSent || res.destroyed) return;
    const headers = { ...reply.headers };
    // A body we did not read (refused early) must not be parsed as the next request.
    if (!req.complete || this.stopping) headers.connection = "close";
    if (reply.body !== undefined) headers["content-length"] = Buffer.byteLength(reply.body);
    try {
      res.writeHead(reply.status, headers);
    } catch (error) {
      // A header value Node refuses (a newline in a content type another node sent): the client
      // gets a 500 and the node goes on serving, never an exception out of the request handler.
      this.deps.metrics.requestsRejected.inc({ reason: "unwritable_response" });
      this.deps.logger.error({ err: error, status: reply.status }, "response headers could not be written");
      const fallback = internalErrorReply();
      if (!res.headersSent && !res.destroyed) {
        res.writeHead(fallback.status, { ...fallback.headers, connection: "close" });
        res.end(fallback.body);
      }
      return;
    }
    res.end(reply.body);
  }

  private onClientError(error: NodeJS.ErrnoException, socket: Socket): void {
    if (error.code === "ECONNRESET" || !socket.writable) {
      socket.destroy();
      return;
    }
    const status =
      error.code === "HPE_HEADER_OVERFLOW" ? 431 : error.code === "ERR_HTTP_REQUEST_TIMEOUT" ? 408 : 400;
    const code = status === 431 ? "headers_too_large" : status === 408 ? "request_timeout" : "bad_request";
    const body = `${JSON.stringify({ error: code, message: `malformed HTTP request: ${error.code ?? error.message}` })}\n`;
    socket.end(
      `HTTP/1.1 ${status} ${status === 431 ? "Request Header Fields Too Large" : status === 408 ? "Request Timeout" : "Bad Request"}\r\n` +
        `content-type: application/json; charset=utf-8\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`,
    );
  }
}

/** The client port's TLS: client certificates are asked for only when a CA is given, and optional. */
function httpsContext(material: TlsMaterial) {
  return {
    cert: material.cert,
    key: material.key,
    ca: material.ca,
    minVersion: TLS_VERSION_MIN,
    // A client certificate is one way to authenticate, a bearer token the other: a client
    // without one is not cut off at the handshake, it is answered 401 if it has no token.
    requestCert: material.ca !== undefined,
    rejectUnauthorized: false,
  } as const;
}

function shorten(text: string): string {
  return text.length > 100 ? `${text.slice(0, 100)}...` : text;
}
