/** Draws record numbers (key ranks) for a workload; each implementation is one YCSB request distribution. */
export interface NumberGenerator {
  next(): number;
}
