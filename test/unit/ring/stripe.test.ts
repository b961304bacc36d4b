import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { windowsAchievable, windowViolations } from "../../../src/core/ring/index.js";
import { stripe } from "../../../src/core/ring/stripe.js";

/** Exhaustive search: is there a cyclic sequence over `members` symbols, each used floor or ceil(Q/S) times, with every `n` consecutive entries distinct? */
function balancedDistinctRingExists(partitions: number, members: number, n: number): boolean {
  const low = Math.floor(partitions / members);
  const high = Math.ceil(partitions / members);
  let highLeft = partitions - low * members;
  const counts = new Array<number>(members).fill(0);
  const ring: number[] = [];
  const search = (): boolean => {
    const p = ring.length;
    if (p === partitions) {
      for (let start = partitions - n + 1; start < partitions; start++) {
        const window = new Set<number>();
        for (let i = 0; i < n; i++) window.add(ring[(start + i) % partitions] as number);
        if (window.size < n) return false;
      }
      return counts.every((c) => c >= low);
    }
    // Symbols are interchangeable: a new symbol is always the lowest unused one.
    const fresh = Math.max(-1, ...ring) + 1;
    for (let s = 0; s <= Math.min(fresh, members - 1); s++) {
      if (ring.slice(Math.max(0, p - n + 1)).includes(s)) continue;
      const c = counts[s] as number;
      if (c + 1 > high || (c + 1 > low && highLeft === 0)) continue;
      if (c + 1 > low) highLeft--;
      counts[s] = c + 1;
      ring.push(s);
      if (search()) return true;
      ring.pop();
      counts[s] = c;
      if (c + 1 > low) highLeft++;
    }
    return false;
  };
  return n <= partitions && search();
}

describe("stripe and the window feasibility condition", () => {
  test("windowsAchievable (S >= n and n * ceil(Q/S) <= Q) matches exhaustive search on small rings", () => {
    for (let partitions = 1; partitions <= 10; partitions++) {
      for (let members = 1; members <= partitions; members++) {
        for (let n = 1; n <= partitions + 1; n++) {
          assert.equal(
            windowsAchievable(partitions, members, n),
            balancedDistinctRingExists(partitions, members, n),
            `Q=${partitions} S=${members} n=${n}`,
          );
        }
      }
    }
  });

  test("a stripe is balanced, and window-distinct exactly when that is achievable", () => {
    for (let bits = 0; bits <= 11; bits++) {
      const partitions = 2 ** bits;
      for (let members = 1; members <= Math.min(partitions, 70); members++) {
        for (let n = 1; n <= 8; n++) {
          const layout = stripe(partitions, members, n);
          const counts = new Array<number>(members).fill(0);
          for (const slot of layout) counts[slot] = (counts[slot] as number) + 1;
          const low = Math.floor(partitions / members);
          assert.ok(
            counts.every((c) => c === low || c === low + 1),
            `Q=${partitions} S=${members} n=${n} unbalanced`,
          );
          const repeats = windowViolations(layout, n);
          if (windowsAchievable(partitions, members, n))
            assert.equal(repeats, 0, `Q=${partitions} S=${members} n=${n}`);
          else assert.ok(repeats > 0, `Q=${partitions} S=${members} n=${n} should be impossible`);
        }
      }
    }
  });

  test("with S = n not dividing Q the stripe repeats in exactly (Q mod n) * (n - 1) windows", () => {
    for (const partitions of [256, 512, 1024, 2048]) {
      for (let n = 2; n <= 9; n++) {
        const remainder = partitions % n;
        if (remainder === 0) continue;
        assert.equal(
          windowViolations(stripe(partitions, n, n), n),
          remainder * (n - 1),
          `Q=${partitions} n=${n}`,
        );
      }
    }
  });

  test("the example from the feasibility proof: Q=8, n=4, S=6 is achievable and striped", () => {
    const layout = stripe(8, 6, 4);
    assert.equal(windowViolations(layout, 4), 0);
    assert.equal(new Set(layout).size, 6);
  });
});
