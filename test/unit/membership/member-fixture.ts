import {
  type MemberRecord,
  type MembershipState,
  NO_LOAD,
  NO_TRANSFER,
} from "../../../src/core/membership/cluster-state.js";

/** A member record for claimant tests: only the state and the ring version it reported matter. */
export function member(id: string, state: MembershipState, transferVersion = 0): MemberRecord {
  return {
    id,
    listen: `${id}:7000`,
    http: `${id}:8000`,
    state,
    stateVersion: 2,
    generation: 1,
    heartbeat: 10,
    load: NO_LOAD,
    transfer: { ...NO_TRANSFER, version: transferVersion },
    ringVersion: 0,
    infoVersion: 0,
  };
}
