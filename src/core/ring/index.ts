export { claim } from "./claim.js";
export { windowsAchievable } from "./feasibility.js";
export { movedPartitions } from "./movement.js";
export { ownershipCounts, preferenceList } from "./preference-list.js";
export { violatingWindowStarts, windowViolations } from "./windows.js";
