export { claim } from "./claim.js";
export { windowsAchievable } from "./feasibility.js";
export { movedPartitions } from "./movement.js";
export { ownershipCounts, preferenceList } from "./preference-list.js";
export { type RingView, ringView } from "./ring-view.js";
export { gainingNodes, homeOf, type PartitionGain, partitionGains, partitionsGained } from "./transfers.js";
export { violatingWindowStarts, windowViolations } from "./windows.js";
export { zoneSharedPartitions } from "./zone-check.js";
