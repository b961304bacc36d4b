import type { OutgoingHttpHeaders } from "node:http";

/** A handler's answer; the server writes it. */
export interface Reply {
  status: number;
  headers?: OutgoingHttpHeaders;
  body?: Uint8Array | string;
}

export function jsonReply(status: number, value: unknown, headers: OutgoingHttpHeaders = {}): Reply {
  return {
    status,
    headers: { "content-type": "application/json; charset=utf-8", ...headers },
    body: `${JSON.stringify(value)}\n`,
  };
}
