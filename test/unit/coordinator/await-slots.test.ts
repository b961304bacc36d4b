import assert from "node:assert/strict";
import { test } from "node:test";
import { awaitSlots, type SlotReply } from "../../../src/coordinator/await-slots.js";
import { QuorumError } from "../../../src/errors.js";
import { ManualClock } from "../../net/fake-clocks.js";

type Reply = SlotReply<string | undefined>;

/** A slot the test answers by hand. */
function slot(): { promise: Promise<Reply>; answer: (value: string | undefined) => void; fail: () => void } {
  let answer: (value: string | undefined) => void = () => undefined;
  let fail: () => void = () => undefined;
  const promise = new Promise<Reply>((resolve, reject) => {
    answer = (value) => resolve({ nodeId: "x", primary: true, value });
    fail = () => reject(new Error("unreachable"));
  });
  return { promise, answer, fail };
}

const found = (replies: readonly Reply[]): boolean => replies.some((r) => r.value !== undefined);
const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

test("a read quorum of 'not found' waits for the last replica, which may hold the key", async () => {
  const clock = new ManualClock();
  const [a, b, c] = [slot(), slot(), slot()];
  const box: { result?: Reply[] } = {};
  void awaitSlots([a.promise, b.promise, c.promise], 2, 0, 1000, clock, "read", found).then((r) => {
    box.result = r;
  });
  a.answer(undefined);
  b.answer(undefined);
  await tick();
  assert.equal(box.result, undefined, "two 'not found' answers are not final while a slot is out");
  c.answer("v");
  await tick();
  assert.deepEqual(
    (box.result as Reply[] | undefined)?.map((r) => r.value),
    [undefined, undefined, "v"],
  );
});

test("a read quorum that found a version answers at once", async () => {
  const clock = new ManualClock();
  const [a, b, c] = [slot(), slot(), slot()];
  const box: { result?: Reply[] } = {};
  void awaitSlots([a.promise, b.promise, c.promise], 2, 0, 1000, clock, "read", found).then((r) => {
    box.result = r;
  });
  a.answer(undefined);
  b.answer("v");
  await tick();
  assert.equal(box.result?.length, 2);
});

test("'not found' from a quorum is final once the other slot failed, or at the timeout", async () => {
  const clock = new ManualClock();
  const [a, b, c] = [slot(), slot(), slot()];
  const failed = awaitSlots([a.promise, b.promise, c.promise], 2, 0, 1000, clock, "read", found);
  a.answer(undefined);
  b.answer(undefined);
  c.fail();
  assert.equal((await failed).length, 2);

  const [d, e, f] = [slot(), slot(), slot()];
  const box: { result?: Reply[] } = {};
  void awaitSlots([d.promise, e.promise, f.promise], 2, 0, 1000, clock, "read", found).then((r) => {
    box.result = r;
  });
  d.answer(undefined);
  e.answer(undefined);
  await tick();
  assert.equal(box.result, undefined);
  await clock.advance(1000);
  await tick();
  assert.equal(
    (box.result as Reply[] | undefined)?.length,
    2,
    "the timeout resolves with the quorum's answers, not an error",
  );
});

test("without a quorum the timeout is still a QuorumError with the real count", async () => {
  const clock = new ManualClock();
  const [a, b, c] = [slot(), slot(), slot()];
  const pending = awaitSlots([a.promise, b.promise, c.promise], 2, 0, 1000, clock, "read", found);
  const outcome = assert.rejects(
    pending,
    (e: unknown) => e instanceof QuorumError && e.needed === 2 && e.acked === 1,
  );
  a.answer(undefined);
  await tick();
  await clock.advance(1000);
  await outcome;
});
