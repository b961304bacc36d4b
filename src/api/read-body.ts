import type { IncomingMessage } from "node:http";
import { BadRequestError, ValueTooLargeError } from "../errors.js";
import type { ApiRequest } from "./api-request.js";

/** Reads a request's body of at most `bytesMax` bytes (ValueTooLargeError beyond). */
export function readBody(req: ApiRequest, bytesMax: number): Promise<Buffer> {
  return req.readBody(bytesMax);
}

/**
 * Reads an HTTP request body of at most `bytesMax` bytes. A declared Content-Length over the limit is
 * refused before reading anything; a chunked body is counted as it arrives and cut at the limit.
 */
export function readHttpBody(req: IncomingMessage, bytesMax: number): Promise<Buffer> {
  const declared = req.headers["content-length"];
  if (declared !== undefined && Number(declared) > bytesMax) {
    return Promise.reject(new ValueTooLargeError(bytesMax));
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let total = 0;
    let done = false;
    const fail = (error: Error): void => {
      if (done) return;
      done = true;
      req.removeAllListeners("data");
      req.pause();
      reject(error);
    };
    req.on("data", (chunk: Buffer) => {
      total += chunk.length;
      if (total > bytesMax) fail(new ValueTooLargeError(bytesMax));
      else chunks.push(chunk);
    });
    req.on("end", () => {
      if (done) return;
      done = true;
      resolve(chunks.length === 1 && chunks[0] !== undefined ? chunks[0] : Buffer.concat(chunks, total));
    });
    req.on("error", (error) => fail(new BadRequestError(`request body could not be read: ${error.message}`)));
    req.on("aborted", () => fail(new BadRequestError("client aborted the request body")));
  });
}
