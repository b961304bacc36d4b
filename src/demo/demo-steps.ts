import type { DemoStep } from "./demo-step.js";
import { expiryStep } from "./expiry-step.js";
import { failureStep, recoveryStep } from "./failover-steps.js";
import { joinStep } from "./join-step.js";
import { leaveStep } from "./leave-step.js";
import { replicationStep } from "./replication-step.js";
import { siblingsStep } from "./siblings-step.js";

export type { DemoContext, DemoStep } from "./demo-step.js";

/** The seven steps, in order; each builds on the cluster the previous ones left. */
export const DEMO_STEPS: readonly DemoStep[] = [
  replicationStep,
  joinStep,
  failureStep,
  recoveryStep,
  siblingsStep,
  leaveStep,
  expiryStep,
];
