export { compareBytes } from "./compare-bytes.js";
export {
  type BatchOp,
  type KeyRange,
  STORE_NAMES,
  type StorageEngine,
  type StorageStats,
  type StoreName,
  type StoreStats,
  type UpdateDecision,
} from "./engine.js";
export { LmdbEngine, type LmdbEngineOptions, openLmdbEngine } from "./lmdb-engine.js";
export { defaultMemoryEngineOptions, MemoryEngine, type MemoryEngineOptions } from "./memory-engine.js";
export { objectKey, partitionRange, splitObjectKey } from "./object-key.js";
export { STORAGE_KEY_BYTES_MAX } from "./storage-key.js";
