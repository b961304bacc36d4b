/**
 * Every condition a caller may branch on is one error class with a stable `code`.
 * src/api/error-response.ts is the one table from these classes to HTTP statuses.
 */
export abstract class RingkvError extends Error {
  abstract readonly code: string;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
  /** Extra JSON fields an API response carries next to `error` and `message`. */
  details(): Record<string, unknown> {
    return {};
  }
}

/** Bad input from a client: a key, a parameter, a header, a body. */
export class BadRequestError extends RingkvError {
  readonly code = "bad_request";
}

/** The `X-Ringkv-Context` header is not a context this cluster produced. */
export class BadContextError extends RingkvError {
  readonly code = "bad_request";
}

export class KeyTooLongError extends RingkvError {
  readonly code = "key_too_long";
  constructor(
    readonly keyBytes: number,
    readonly keyBytesMax: number,
  ) {
    super(`key is ${keyBytes} bytes, the limit is ${keyBytesMax}`);
  }
  override details(): Record<string, unknown> {
    return { keyBytes: this.keyBytes, keyBytesMax: this.keyBytesMax };
  }
}

export class ValueTooLargeError extends RingkvError {
  readonly code = "value_too_large";
  constructor(readonly valueBytesMax: number) {
    super(`value is larger than the limit of ${valueBytesMax} bytes`);
  }
  override details(): Record<string, unknown> {
    return { valueBytesMax: this.valueBytesMax };
  }
}

/** A key already holds the maximum number of concurrent versions; resolve them first. */
export class TooManySiblingsError extends RingkvError {
  readonly code = "too_many_siblings";
  constructor(
    readonly siblings: number,
    readonly siblingsMax: number,
  ) {
    super(
      `key would hold ${siblings} siblings, the limit is ${siblingsMax}; write with the context of a read to resolve them`,
    );
  }
  override details(): Record<string, unknown> {
    return { siblings: this.siblings, siblingsMax: this.siblingsMax };
  }
}

/** A write would leave the key's stored object (all its siblings) larger than --max-object-bytes. */
export class ObjectTooLargeError extends RingkvError {
  readonly code = "object_too_large";
  constructor(
    readonly objectBytes: number,
    readonly objectBytesMax: number,
  ) {
    super(
      `the key's object would be ${objectBytes} bytes (all its siblings), the limit is ${objectBytesMax} (--max-object-bytes); write with the context of a read to resolve its siblings`,
    );
  }
  override details(): Record<string, unknown> {
    return { objectBytes: this.objectBytes, objectBytesMax: this.objectBytesMax };
  }
}

/** Fewer replicas than the request needed answered in time. */
export class QuorumError extends RingkvError {
  readonly code = "unavailable";
  constructor(
    readonly needed: number,
    readonly acked: number,
    what: "read" | "write",
    /** "home": the strict count (PR/PW) of home replicas failed, not the sloppy R/W count. */
    readonly counted: "replicas" | "home" = "replicas",
    /** Set when the quorum could never be met: the key has only this many distinct replicas. */
    replicasAvailable?: number,
  ) {
    super(
      replicasAvailable === undefined
        ? `${what} needed ${needed} ${counted === "home" ? "home replicas (strict)" : "replicas"}, ${acked} answered in time`
        : `${what} needs ${needed} replicas but the cluster has only ${replicasAvailable} node(s) to hold this key ` +
            `(N counts distinct nodes): add nodes, or ask for ${what === "write" ? "w" : "r"}=${replicasAvailable}`,
    );
  }
  override details(): Record<string, unknown> {
    return this.counted === "home"
      ? { needed: this.needed, acked: this.acked, strict: true }
      : { needed: this.needed, acked: this.acked };
  }
}

/**
 * A replica refused a replicated write, hint or coordination request for a partition its ring
 * says it neither owns, receives, nor stands in for (ownership fencing). Carries the receiver's
 * ring version, so a sender with an older ring knows to learn the newer one and route again.
 */
export class NotOwnerError extends RingkvError {
  readonly code = "not_owner";
  constructor(
    readonly partition: number,
    readonly ringVersion: number,
  ) {
    super(`not a replica of partition ${partition} under ring version ${ringVersion}`);
  }
  override details(): Record<string, unknown> {
    return { partition: this.partition, ringVersion: this.ringVersion };
  }
}

export class NotReadyError extends RingkvError {
  readonly code = "unavailable";
  override details(): Record<string, unknown> {
    return { needed: 1, acked: 0 };
  }
}

/** The request conflicts with the cluster's state (removing a live node, the last member leaving). */
export class ConflictError extends RingkvError {
  readonly code = "conflict";
}

/** A client request that needs credentials came without any, or with ones no node issued. */
export class UnauthenticatedError extends RingkvError {
  readonly code = "unauthenticated";
}

/** The credentials are good but their role does not allow the request (or it came cross-origin). */
export class ForbiddenError extends RingkvError {
  readonly code = "forbidden";
}

/** Too many failed authentications from one source: refused without checking, for a while. */
export class AuthRateLimitedError extends RingkvError {
  readonly code = "rate_limited";
  constructor(readonly retryAfterS: number) {
    super(`too many failed authentications from this address; retry in ${retryAfterS} s`);
  }
  override details(): Record<string, unknown> {
    return { retryAfterS: this.retryAfterS };
  }
}

/**
 * A conditional write (If-None-Match: *, If-Match: <context>) whose condition the key's current
 * versions, read at the write's r, do not meet; nothing was written.
 */
export class ConditionFailedError extends RingkvError {
  readonly code = "precondition_failed";
}

export class NotFoundError extends RingkvError {
  readonly code = "not_found";
}

export class MethodNotAllowedError extends RingkvError {
  readonly code = "method_not_allowed";
  constructor(
    method: string,
    readonly allowed: readonly string[],
  ) {
    super(`method ${method} is not allowed here; allowed: ${allowed.join(", ")}`);
  }
}

/** The node is shutting down or over a connection/request limit. */
export class OverloadedError extends RingkvError {
  readonly code = "overloaded";
}

export class ShuttingDownError extends RingkvError {
  readonly code = "shutting_down";
}

/** The storage engine refused a write because its size limit or the disk is full. */
export class StorageFullError extends RingkvError {
  readonly code = "storage_full";
}

/** The storage engine could not be opened (missing permissions, corrupt or locked files). */
export class StorageOpenError extends RingkvError {
  readonly code = "storage_unavailable";
}

/** The storage engine was used after close(). */
export class StorageClosedError extends RingkvError {
  readonly code = "storage_unavailable";
}

/** A commit failed after its write had been sent on: this node coordinates no writes until restarted. */
export class StorageFailedError extends RingkvError {
  readonly code = "storage_unavailable";
}

/** Bad command-line flags or configuration. */
export class ConfigError extends RingkvError {
  readonly code = "config";
}
