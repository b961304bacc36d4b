/**
 * Space accounting for the LMDB engine's size limit.
 *
 * lmdb-js patches LMDB to grow the memory map whenever a transaction needs pages beyond it
 * (mdb.c, mdb_page_alloc, the `<lmdb-js addition>` that calls mdb_env_set_mapsize), so LMDB
 * itself never reports MDB_MAP_FULL and `mapSize` is only the initial map. The limit is therefore
 * enforced by the engine: inside the write transaction, before a write that grows the data, it
 * compares the pages the trees use plus an estimate of the write's growth with the limit.
 */

/** LMDB's page header (PAGEHDRSZ) on 64-bit builds. */
const PAGE_HEADER_BYTES = 16;
/** A leaf node's header (NODESIZE) plus its 2-byte slot in the page's index. */
const NODE_OVERHEAD_BYTES = 8 + 2;
/** The page number a node stores instead of a value that went to overflow pages. */
const OVERFLOW_POINTER_BYTES = 8;
/** LMDB keeps two meta pages at the start of the file (three with overlappingSync, which is off). */
export const META_PAGES = 2;

/**
 * Bytes one entry is expected to occupy. A value that would leave room for fewer than two nodes
 * in a leaf goes to its own overflow pages (LMDB's me_nodemax rule). Small entries are charged
 * twice their node size because B-tree leaves are between half full and full after splits.
 */
export function entryBytesEstimate(keyBytes: number, valueBytes: number, pageSizeBytes: number): number {
  const inlineBytes = NODE_OVERHEAD_BYTES + keyBytes + valueBytes;
  const nodeBytesMax = (pageSizeBytes - PAGE_HEADER_BYTES) / 2;
  if (inlineBytes <= nodeBytesMax) return 2 * inlineBytes;
  const overflowPages = Math.ceil((PAGE_HEADER_BYTES + valueBytes) / pageSizeBytes);
  return overflowPages * pageSizeBytes + 2 * (NODE_OVERHEAD_BYTES + keyBytes + OVERFLOW_POINTER_BYTES);
}

/** The page counts lmdb-js reports for one B-tree (`getStats()`, its `root` and `free`). */
export interface TreeStats {
  treeBranchPageCount: number;
  treeLeafPageCount: number;
  overflowPages: number;
  entryCount: number;
}

export function treePages(stats: TreeStats): number {
  return stats.treeBranchPageCount + stats.treeLeafPageCount + stats.overflowPages;
}
