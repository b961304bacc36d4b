import assert from "node:assert/strict";
import { test } from "node:test";
import { nextDelayMs } from "../../../src/clock/idle-backoff.js";
import { PeriodicTask } from "../../../src/clock/periodic-task.js";
import { ManualClock } from "../../net/fake-clocks.js";

const backoff = { intervalMs: 100, idleIntervalMaxMs: 1000 };
const unexpected = (error: unknown): void => assert.fail(`unexpected error: ${String(error)}`);

test("idle rounds double the wait up to the maximum; a busy round goes back to the interval", () => {
  const delays: number[] = [];
  let delay = backoff.intervalMs;
  for (let i = 0; i < 6; i++) {
    delay = nextDelayMs(delay, "idle", backoff);
    delays.push(delay);
  }
  assert.deepEqual(delays, [200, 400, 800, 1000, 1000, 1000]);
  assert.equal(nextDelayMs(1000, "busy", backoff), 100);
  assert.equal(nextDelayMs(50, "idle", backoff), 100, "never faster than the interval");
  assert.equal(nextDelayMs(100, "idle", { intervalMs: 100, idleIntervalMaxMs: 100 }), 100, "no backoff");
});

test("a task whose rounds find nothing runs ever more rarely, bounded by its maximum", async () => {
  const clock = new ManualClock();
  const runsAtMs: number[] = [];
  const task = new PeriodicTask(
    clock,
    100,
    () => {
      runsAtMs.push(clock.nowMs());
      return "idle" as const;
    },
    unexpected,
    1000,
  );
  task.start();
  await clock.advance(5000);
  task.stop();
  // Fixed rate: a round's outcome sets the wait after the next tick is armed.
  assert.deepEqual(runsAtMs.slice(0, 6), [100, 200, 400, 800, 1600, 2600]);
  const gaps = runsAtMs.slice(1).map((t, i) => t - (runsAtMs[i] as number));
  assert.ok(
    gaps.every((g) => g <= 1000),
    `no gap above the maximum: ${gaps.join(",")}`,
  );
  assert.equal(task.currentDelayMs, 1000);
});

test("a kick brings a backed-off task back within its interval, and busy rounds keep it there", async () => {
  const clock = new ManualClock();
  let work = 0;
  const runsAtMs: number[] = [];
  const task = new PeriodicTask(
    clock,
    100,
    () => {
      runsAtMs.push(clock.nowMs());
      if (work === 0) return "idle" as const;
      work -= 1;
      return "busy" as const;
    },
    unexpected,
    1000,
  );
  task.start();
  await clock.advance(5000);
  assert.equal(task.currentDelayMs, 1000, "backed off while idle");
  const kickedAtMs = clock.nowMs();
  work = 3;
  task.kick();
  await clock.advance(100);
  assert.equal(runsAtMs.at(-1), kickedAtMs + 100, "the kicked task ran one interval after the kick");
  const before = runsAtMs.length;
  await clock.advance(300);
  assert.equal(runsAtMs.length - before, 3, "at the fast pace while rounds find work");
  task.stop();
});

test("a kick during a round overrides that round's idle outcome", async () => {
  const clock = new ManualClock();
  let release: () => void = () => {};
  let first = true;
  const task = new PeriodicTask(
    clock,
    100,
    () => {
      if (!first) return "idle" as const;
      first = false;
      return new Promise<"idle">((resolve) => {
        release = () => resolve("idle");
      });
    },
    unexpected,
    1000,
  );
  task.start();
  await clock.advance(100); // the slow round starts
  task.kick(); // work arrives while it runs: it may have passed over it already
  release();
  await clock.advance(1);
  assert.equal(task.currentDelayMs, 100, "the trigger wins over the stale idle outcome");
  task.stop();
});
