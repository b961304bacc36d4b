/**
 * The one table of failures that cross between nodes. A handler fails by throwing; the server
 * sends the error's wire code (unique here, unlike the HTTP codes, where "unavailable" is both a
 * quorum failure and a node still starting), its message and its details; the requesting node
 * rebuilds the same error class from them, so a client sees the same status and fields as if it
 * had asked the node that failed. A code not in the table stays a RemoteError.
 */
import { HintStoreFullError } from "../coordinator/hint-store.js";
import { PEER_COUNTER_MAX } from "../core/counter-ceiling.js";
import { BadClusterStateError } from "../core/membership/cluster-state.js";
import { MerkleMessageError } from "../core/merkle/merkle-message-error.js";
import {
  BadContextError,
  BadRequestError,
  KeyTooLongError,
  NotOwnerError,
  NotReadyError,
  ObjectTooLargeError,
  OverloadedError,
  QuorumError,
  RingkvError,
  ShuttingDownError,
  StorageClosedError,
  StorageFailedError,
  StorageFullError,
  StorageOpenError,
  TooManySiblingsError,
  ValueTooLargeError,
} from "../errors.js";
import type { RemoteError } from "../net/errors.js";
import { PeerMessageError, UnexpectedReplyError, UnknownMessageError } from "./errors.js";

type Details = Readonly<Record<string, unknown>>;
type ErrorClass = abstract new (...args: never[]) => RingkvError;

interface WireErrorEntry {
  readonly wireCode: string;
  readonly errorClass: ErrorClass;
  readonly rebuild: (message: string, details: Details) => RingkvError;
}

const count = (details: Details, name: string): number => {
  const v = details[name];
  return typeof v === "number" && Number.isSafeInteger(v) && v >= 0 ? v : 0;
};

function entry<C extends ErrorClass>(
  wireCode: string,
  errorClass: C,
  rebuild: (message: string, details: Details) => InstanceType<C>,
): WireErrorEntry {
  return { wireCode, errorClass, rebuild };
}

const WIRE_ERRORS: readonly WireErrorEntry[] = [
  entry(
    "quorum_failed",
    QuorumError,
    (_m, d) =>
      new QuorumError(
        count(d, "needed"),
        count(d, "acked"),
        "write",
        d.strict === true ? "home" : "replicas",
      ),
  ),
  entry("not_ready", NotReadyError, (m) => new NotReadyError(m)),
  entry(
    "not_owner",
    NotOwnerError,
    (_m, d) => new NotOwnerError(count(d, "partition"), Math.min(count(d, "ringVersion"), PEER_COUNTER_MAX)),
  ),
  entry(
    "too_many_siblings",
    TooManySiblingsError,
    (_m, d) => new TooManySiblingsError(count(d, "siblings"), count(d, "siblingsMax")),
  ),
  entry(
    "hints_full",
    HintStoreFullError,
    (_m, d) => new HintStoreFullError("", count(d, "hintsPerTargetMax")),
  ),
  entry(
    "object_too_large",
    ObjectTooLargeError,
    (_m, d) => new ObjectTooLargeError(count(d, "objectBytes"), count(d, "objectBytesMax")),
  ),
  entry("storage_full", StorageFullError, (m) => new StorageFullError(m)),
  entry("storage_failed", StorageFailedError, (m) => new StorageFailedError(m)),
  entry("storage_closed", StorageClosedError, (m) => new StorageClosedError(m)),
  entry("storage_open_failed", StorageOpenError, (m) => new StorageOpenError(m)),
  entry("overloaded", OverloadedError, (m) => new OverloadedError(m)),
  entry("shutting_down", ShuttingDownError, (m) => new ShuttingDownError(m)),
  entry("value_too_large", ValueTooLargeError, (_m, d) => new ValueTooLargeError(count(d, "valueBytesMax"))),
  entry(
    "key_too_long",
    KeyTooLongError,
    (_m, d) => new KeyTooLongError(count(d, "keyBytes"), count(d, "keyBytesMax")),
  ),
  entry("bad_context", BadContextError, (m) => new BadContextError(m)),
  entry("bad_request", BadRequestError, (m) => new BadRequestError(m)),
  entry("bad_message", PeerMessageError, (m) => new PeerMessageError(m)),
  entry("unknown_message", UnknownMessageError, () => new UnknownMessageError("")),
  entry("unexpected_reply", UnexpectedReplyError, () => new UnexpectedReplyError("", "", "")),
  entry("bad_cluster_state", BadClusterStateError, (m) => new BadClusterStateError(m)),
  entry("bad_merkle_message", MerkleMessageError, (m) => new MerkleMessageError(m)),
];

{
  const codes = new Set(WIRE_ERRORS.map((e) => e.wireCode));
  if (codes.size !== WIRE_ERRORS.length) throw new Error("wire error codes must be unique");
}

const byCode = new Map(WIRE_ERRORS.map((e) => [e.wireCode, e]));

/** The wire code of an error a handler threw; "internal" for one that is not in the table (a bug). */
export function wireCodeOf(error: unknown): string {
  // Exact class first: a subclass listed on its own must not take its parent's code.
  const exact = WIRE_ERRORS.find((e) => error instanceof Object && error.constructor === e.errorClass);
  return (exact ?? WIRE_ERRORS.find((e) => error instanceof e.errorClass))?.wireCode ?? "internal";
}

/**
 * A handler's failure as the server sends it: the transport puts `code`, `message` and
 * `details()` into the error frame.
 */
export class WireFailure extends RingkvError {
  constructor(
    readonly code: string,
    message: string,
    private readonly fields: Record<string, unknown>,
  ) {
    super(message);
  }
  override details(): Record<string, unknown> {
    return this.fields;
  }
}

/** What a handler's thrown error becomes: its wire code, and (for our own errors) its message and details. */
export function toWireFailure(error: unknown): WireFailure {
  if (error instanceof WireFailure) return error;
  const code = wireCodeOf(error);
  if (code === "internal" || !(error instanceof RingkvError))
    return new WireFailure("internal", "internal error on the answering node", {});
  return new WireFailure(code, error.message, error.details());
}

/** The error a remote failure stands for, rebuilt from its wire code; the RemoteError itself for codes not in the table. */
export function fromRemoteError(error: RemoteError): RingkvError {
  const known = error.remoteCode === undefined ? undefined : byCode.get(error.remoteCode);
  if (known === undefined) return error;
  const message = error.remoteMessage.slice(0, 1000);
  const rebuilt = known.rebuild(message, error.remoteDetails);
  // The class computes a message from its fields; the remote one may say more (and must not differ).
  rebuilt.message = message;
  return rebuilt;
}
