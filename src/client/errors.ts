import { RingkvError } from "../errors.js";

/** An error answer from a node: its HTTP status and the JSON error body (API.md "Errors"). */
export class RingkvHttpError extends RingkvError {
  readonly code: string;
  constructor(
    readonly status: number,
    code: string,
    message: string,
    readonly body: Record<string, unknown>,
  ) {
    super(message);
    this.code = code;
  }
}

/**
 * 503: fewer replicas than the quorum answered in time. A failed write may still have been
 * stored on some replicas, so it is not safe to assume it had no effect.
 */
export class UnavailableError extends RingkvHttpError {
  /** Acks (or answers) the request needed, and how many it got. */
  readonly needed: number | undefined;
  readonly acked: number | undefined;
  constructor(message: string, body: Record<string, unknown>) {
    super(503, "unavailable", message, body);
    this.needed = typeof body.needed === "number" ? body.needed : undefined;
    this.acked = typeof body.acked === "number" ? body.acked : undefined;
  }
}

/**
 * 412: a conditional write (`ifNoneMatch`, `ifMatch`) whose condition the key did not meet;
 * nothing was written. Read the key again to see what is there.
 */
export class PreconditionFailedError extends RingkvHttpError {
  constructor(message: string, body: Record<string, unknown>) {
    super(412, "precondition_failed", message, body);
  }
}

/** The node could not be reached at all (refused, reset, timed out). */
export class NodeUnreachableError extends RingkvError {
  readonly code = "unreachable";
}

/** Every node the client tried was unreachable. */
export class NoNodeAvailableError extends RingkvError {
  readonly code = "no_node_available";
}

/** `update` found concurrent versions and was given no function to resolve them. */
export class UnresolvedSiblingsError extends RingkvError {
  readonly code = "unresolved_siblings";
}
