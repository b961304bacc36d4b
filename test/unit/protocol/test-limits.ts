import type { ProtocolLimits } from "../../../src/protocol/index.js";

/** Protocol limits for tests that exercise messages, with small numbers where a bound is tested. */
export function testLimits(overrides: Partial<ProtocolLimits> = {}): ProtocolLimits {
  return {
    partitions: 16,
    n: 3,
    membersMax: 10,
    keyBytesMax: 64,
    valueBytesMax: 1024,
    contentTypeBytesMax: 32,
    timeoutMsMax: 10_000,
    treeSegments: 256,
    aaeKeysMax: 100,
    ...overrides,
  };
}
