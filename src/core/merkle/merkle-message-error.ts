import { RingkvError } from "../../errors.js";

/**
 * A tree summary or leaf list from a peer that does not have the shape ours has: a wrong
 * length, another segment count, bad branch ids. The exchange with that peer is abandoned;
 * nothing about the local tree is wrong.
 */
export class MerkleMessageError extends RingkvError {
  readonly code = "bad_merkle_message";
}
