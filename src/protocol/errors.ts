import { RingkvError } from "../errors.js";

/** A peer message that does not fit its schema: a missing field, a wrong type, a value out of bounds. */
export class PeerMessageError extends RingkvError {
  readonly code = "bad_message";
}

/** A message type this protocol does not define (a newer or a foreign peer). */
export class UnknownMessageError extends RingkvError {
  readonly code = "unknown_message";
  constructor(readonly type: string) {
    super(`unknown message type ${type.slice(0, 64)}`);
  }
}

/** A reply whose type is not the one the request expects. */
export class UnexpectedReplyError extends RingkvError {
  readonly code = "unexpected_reply";
  constructor(
    readonly peer: string,
    expected: string,
    got: string,
  ) {
    super(`${peer} answered ${got.slice(0, 64)} where ${expected} was expected`);
  }
}
