import { MetadataFullError } from "../cluster/metadata/index.js";
import {
  AuthRateLimitedError,
  BadContextError,
  BadRequestError,
  ConditionFailedError,
  ConflictError,
  ForbiddenError,
  KeyTooLongError,
  MethodNotAllowedError,
  NotFoundError,
  NotOwnerError,
  NotReadyError,
  ObjectTooLargeError,
  OverloadedError,
  QuorumError,
  type RingkvError,
  ShuttingDownError,
  StorageClosedError,
  StorageFailedError,
  StorageFullError,
  StorageOpenError,
  TooManySiblingsError,
  UnauthenticatedError,
  ValueTooLargeError,
} from "../errors.js";
import { jsonReply, type Reply } from "./reply.js";

type ErrorClass = abstract new (...args: never[]) => RingkvError;

/** The one table from error class to HTTP status. An error not listed here is a 500. */
const STATUS_BY_ERROR: ReadonlyArray<readonly [ErrorClass, number]> = [
  [BadRequestError, 400],
  [BadContextError, 400],
  [KeyTooLongError, 414],
  [UnauthenticatedError, 401],
  [ForbiddenError, 403],
  [NotFoundError, 404],
  [MethodNotAllowedError, 405],
  [TooManySiblingsError, 409],
  [ObjectTooLargeError, 409],
  [ConflictError, 409],
  [ValueTooLargeError, 413],
  [ConditionFailedError, 412],
  [QuorumError, 503],
  [NotReadyError, 503],
  // A write whose re-routes ran out: the ring is moving faster than it can follow; retry.
  [NotOwnerError, 503],
  [OverloadedError, 503],
  [ShuttingDownError, 503],
  [StorageClosedError, 503],
  [StorageFailedError, 503],
  [StorageOpenError, 503],
  [AuthRateLimitedError, 429],
  [StorageFullError, 507],
  // The cluster metadata (tokens, namespace properties) holds a bounded number of entries.
  [MetadataFullError, 507],
];

export function statusOf(error: RingkvError): number | undefined {
  for (const [cls, status] of STATUS_BY_ERROR) if (error instanceof cls) return status;
  return undefined;
}

export function errorReply(error: RingkvError): Reply | undefined {
  const status = statusOf(error);
  if (status === undefined) return undefined;
  const headers: Record<string, string> = {};
  if (error instanceof MethodNotAllowedError) headers.allow = error.allowed.join(", ");
  if (status === 503) headers["retry-after"] = "1";
  if (error instanceof UnauthenticatedError) headers["www-authenticate"] = 'Bearer realm="ringkv"';
  if (error instanceof AuthRateLimitedError) headers["retry-after"] = String(error.retryAfterS);
  return jsonReply(status, { error: error.code, message: error.message, ...error.details() }, headers);
}

export function internalErrorReply(): Reply {
  return jsonReply(500, {
    error: "internal",
    message: "internal error; the node logged it and keeps serving",
  });
}
