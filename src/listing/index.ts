export { batchProblem } from "./batch-check.js";
export { type CoverageGap, type CoveragePlan, coveragePlan, isCoverageGap } from "./coverage.js";
export type { ListBatch, ListBatchRequest, ListedKey, ListPage, StoredKeyRange } from "./interface.js";
export {
  defaultKeyListerOptions,
  KeyLister,
  type KeyListerDeps,
  type KeyListerOptions,
  type ListPageRequest,
} from "./key-lister.js";
export { listHandlers } from "./list-handler.js";
export { LIST_BATCH_BYTES_MAX, listLocalKeys } from "./local-keys.js";
