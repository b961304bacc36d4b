export { compareHlcStamps, type HlcStamp, HybridLogicalClock } from "./hybrid-logical-clock.js";
export {
  compareLwwVersions,
  type LwwStamp,
  type LwwVersion,
  lwwMerge,
  lwwObject,
  lwwSame,
  lwwWinner,
} from "./lww-merge.js";
