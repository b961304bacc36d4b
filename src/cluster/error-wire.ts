import { QuorumError, RingkvError, StorageFullError, TooManySiblingsError } from "../errors.js";
import type { Message } from "../net/transport.js";

/** A coordinator on another node failed in a way that has no specific class here. */
export class RemoteCoordinatorError extends RingkvError {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/**
 * Errors of a forwarded request travel as data, so the client sees the same status and fields
 * (`needed`, `acked`, ...) as if it had asked the coordinating node itself.
 */
export function errorMessage(error: unknown): Message {
  if (error instanceof RingkvError) {
    return { type: "kv_error", code: error.code, message: error.message, details: error.details() };
  }
  return {
    type: "kv_error",
    code: "internal",
    message: "internal error on the coordinating node",
    details: {},
  };
}

export function errorFromMessage(m: Message): RingkvError {
  const code = typeof m.code === "string" ? m.code.slice(0, 64) : "internal";
  const message = typeof m.message === "string" ? m.message.slice(0, 1000) : "remote error";
  const details =
    typeof m.details === "object" && m.details !== null ? (m.details as Record<string, unknown>) : {};
  const num = (name: string): number => (typeof details[name] === "number" ? (details[name] as number) : 0);
  if (code === "unavailable") return new QuorumError(num("needed"), num("acked"), "write");
  if (code === "too_many_siblings") return new TooManySiblingsError(num("siblings"), num("siblingsMax"));
  if (code === "storage_full") return new StorageFullError(message);
  return new RemoteCoordinatorError(code, message);
}
