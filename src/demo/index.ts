/** `ringkv demo`: its own cluster of local node processes and the narrated, checked steps it walks through. */
export { DemoCluster, type DemoClusterOptions, type DemoNode } from "./demo-cluster.js";
export { DEMO_STEPS, type DemoContext, type DemoStep } from "./demo-steps.js";
export { type NarrationSink, Narrator, type StepOutcome } from "./narrator.js";
