import assert from "node:assert/strict";
import { test } from "node:test";
import { PeriodicTask } from "../../../src/clock/periodic-task.js";
import { ManualClock } from "../../net/fake-clocks.js";

const unexpected = (error: unknown): void => assert.fail(`unexpected error: ${String(error)}`);

test("a periodic task runs once per interval until stopped", async () => {
  const clock = new ManualClock();
  let runs = 0;
  const task = new PeriodicTask(
    clock,
    100,
    () => {
      runs += 1;
    },
    unexpected,
  );
  task.start();
  await clock.advance(350);
  assert.equal(runs, 3);
  task.stop();
  await clock.advance(1000);
  assert.equal(runs, 3, "no run after stop");
  assert.equal(clock.pendingTimers, 0);
});

test("a run still in progress is not overlapped: the ticks due meanwhile are skipped", async () => {
  const clock = new ManualClock();
  let started = 0;
  let release: () => void = () => {};
  const task = new PeriodicTask(
    clock,
    100,
    () => {
      started += 1;
      return new Promise<void>((resolve) => {
        release = resolve;
      });
    },
    unexpected,
  );
  task.start();
  await clock.advance(550);
  assert.equal(started, 1, "one slow run, five ticks skipped");
  release();
  await clock.advance(100);
  assert.equal(started, 2);
  task.stop();
});

test("an error goes to onError and the task keeps running", async () => {
  const clock = new ManualClock();
  const errors: unknown[] = [];
  let runs = 0;
  const task = new PeriodicTask(
    clock,
    100,
    async () => {
      runs += 1;
      throw new Error(`run ${runs}`);
    },
    (error) => errors.push(error),
  );
  task.start();
  await clock.advance(300);
  task.stop();
  assert.equal(runs, 3);
  assert.deepEqual(
    errors.map((e) => (e as Error).message),
    ["run 1", "run 2", "run 3"],
  );
});
