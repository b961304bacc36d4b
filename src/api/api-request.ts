import type { IncomingHttpHeaders, IncomingMessage } from "node:http";
import type { Socket } from "node:net";
import { readHttpBody } from "./read-body.js";

/**
 * One client request as the router, access control and handlers see it, whichever protocol
 * brought it: HTTP/1.1 (node:http) or the binary client protocol (src/client-wire). Header names
 * are lower case, as node:http gives them.
 */
export interface ApiRequest {
  readonly method: string;
  /** The request target: path and query. */
  readonly url: string;
  readonly headers: Readonly<IncomingHttpHeaders>;
  /** The connection it came over: the source address, and the TLS state for client certificates. */
  readonly socket: Socket;
  /** The whole body; a body over `bytesMax` rejects with ValueTooLargeError. */
  readBody(bytesMax: number): Promise<Buffer>;
}

/** A node:http request as an ApiRequest. */
export class HttpApiRequest implements ApiRequest {
  constructor(readonly incoming: IncomingMessage) {}

  get method(): string {
    return this.incoming.method ?? "GET";
  }

  get url(): string {
    return this.incoming.url ?? "";
  }

  get headers(): IncomingHttpHeaders {
    return this.incoming.headers;
  }

  get socket(): Socket {
    return this.incoming.socket;
  }

  readBody(bytesMax: number): Promise<Buffer> {
    return readHttpBody(this.incoming, bytesMax);
  }
}
