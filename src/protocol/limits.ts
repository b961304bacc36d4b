/**
 * What a receiver accepts in peer messages. Most bounds are this node's own settings (a key is
 * refused by the same limit a client would hit); a few are fixed by the protocol.
 */
export interface ProtocolLimits {
  partitions: number;
  /** Replicas per key: the largest w or pw a forwarded write may ask for. */
  n: number;
  membersMax: number;
  keyBytesMax: number;
  valueBytesMax: number;
  contentTypeBytesMax: number;
  timeoutMsMax: number;
  /** Leaf segments of an anti-entropy tree: the bound of branch and segment ids. */
  treeSegments: number;
  /** Keys one anti-entropy key listing may carry. */
  aaeKeysMax: number;
}

/**
 * Keys that arrive in bulk (a transfer batch, an anti-entropy listing) were accepted by some node
 * once, possibly under a larger --max-key-bytes than ours; they are bounded by what storage holds.
 */
export const STORED_KEY_BYTES_MAX = 1900;

/** Keys one partition-transfer batch may carry. */
export const TRANSFER_BATCH_KEYS_MAX = 10_000;

/** Keys one listing batch (kv_list) may carry. */
export const LIST_BATCH_KEYS_MAX = 10_000;

/** Keys one anti-entropy fetch or push may carry. */
export const AAE_BATCH_KEYS_MAX = 1024;
