export {
  type ContextLimits,
  decodeContext,
  defaultContextLimits,
  encodeContext,
} from "./context-codec.js";
export {
  type ActorId,
  assertValidDvvSet,
  type DvvEntry,
  type DvvSet,
  descends,
  discard,
  emptyDvvSet,
  join,
  sync,
  update,
  type VersionVector,
  valueCount,
  values,
} from "./dvvset.js";
export { actorIdBytesMax } from "./invariants.js";
