import assert from "node:assert/strict";
import { test } from "node:test";
import { CountWindow, defaultRepairWindowOptions, OTHER_KEY } from "../../../src/metrics/count-window.js";

const FIELDS = ["stored", "delivered"] as const;
const MINUTE_MS = 60_000;
const START_MS = 1_000 * MINUTE_MS;

test("counts per key and field over the whole window, and over its last slots", () => {
  const w = new CountWindow(FIELDS, { slotMs: 5 * MINUTE_MS, slots: 289, keysPerSlotMax: 8 }, START_MS);
  // Two hints for n4 100 minutes in; one stored hint for n3 every minute for 3 hours, and 10
  // delivered 170 minutes in.
  w.add("n4", "stored", 2, START_MS + 100 * MINUTE_MS);
  for (let m = 0; m < 180; m++) w.add("n3", "stored", 1, START_MS + m * MINUTE_MS);
  w.add("n3", "delivered", 10, START_MS + 179 * MINUTE_MS);
  const now = START_MS + 180 * MINUTE_MS;
  const day = w.totals(now);
  assert.deepEqual(Object.fromEntries(day.byKey), {
    n3: { stored: 180, delivered: 10 },
    n4: { stored: 2, delivered: 0 },
  });
  assert.equal(day.spanSeconds, 180 * 60, "the window is 3 hours old: it covers no more than that");
  // 13 slots: 12 whole ones (60 minutes) and the current one, just begun at 180 minutes.
  const hour = w.totals(now, 13);
  assert.equal(hour.spanSeconds, 60 * 60);
  assert.deepEqual(hour.byKey.get("n3"), { stored: 60, delivered: 10 });
  assert.equal(hour.byKey.get("n4"), undefined, "n4's hints were 80 minutes ago");
});

test("counts older than the window fall out; a reused slot starts from zero", () => {
  const w = new CountWindow(FIELDS, defaultRepairWindowOptions, START_MS);
  w.add("n2", "stored", 5, START_MS);
  const dayMs = 24 * 60 * MINUTE_MS;
  assert.equal(w.totals(START_MS + dayMs).byKey.get("n2")?.stored, 5, "24 h later it is still in");
  assert.equal(w.totals(START_MS + dayMs + 5 * MINUTE_MS).byKey.size, 0, "a slot later it is out");
  // The slot the old count lived in is reused 289 slots on, cleared first.
  w.add("n2", "delivered", 1, START_MS + 289 * 5 * MINUTE_MS);
  assert.deepEqual(w.totals(START_MS + 289 * 5 * MINUTE_MS).byKey.get("n2"), { stored: 0, delivered: 1 });
  assert.equal(
    w.totals(START_MS + 3 * dayMs + 2 * MINUTE_MS).spanSeconds,
    24 * 3600 + 2 * 60,
    "a full window: 288 whole slots and the 2 minutes of the current one",
  );
});

test("a slot counts at most keysPerSlotMax keys apart; the rest go to OTHER_KEY", () => {
  const w = new CountWindow(FIELDS, { slotMs: 1000, slots: 4, keysPerSlotMax: 2 }, START_MS);
  for (const id of ["a", "b", "c", "d", "a"]) w.add(id, "stored", 1, START_MS);
  const totals = w.totals(START_MS).byKey;
  assert.deepEqual(Object.fromEntries(totals), {
    a: { stored: 2, delivered: 0 },
    b: { stored: 1, delivered: 0 },
    [OTHER_KEY]: { stored: 2, delivered: 0 },
  });
  // The bound is per slot: the next slot counts new keys apart again.
  w.add("c", "stored", 1, START_MS + 1000);
  assert.equal(w.totals(START_MS + 1000).byKey.get("c")?.stored, 1);
});

test("a clock that steps back counts into the newest slot and clears nothing", () => {
  const w = new CountWindow(FIELDS, { slotMs: 1000, slots: 4, keysPerSlotMax: 4 }, START_MS);
  w.add("a", "stored", 3, START_MS + 5000);
  w.add("a", "stored", 1, START_MS + 1000 - 4 * 1000 * 10);
  assert.equal(w.totals(START_MS + 5000).byKey.get("a")?.stored, 4);
});

test("bad arguments are refused", () => {
  assert.throws(() => new CountWindow(FIELDS, { slotMs: 0, slots: 4, keysPerSlotMax: 1 }, 0), RangeError);
  assert.throws(() => new CountWindow(FIELDS, { slotMs: 1, slots: 0, keysPerSlotMax: 1 }, 0), RangeError);
  assert.throws(() => new CountWindow(FIELDS, { slotMs: 1, slots: 1, keysPerSlotMax: 0 }, 0), RangeError);
  assert.throws(() => new CountWindow(["a", "a"], { slotMs: 1, slots: 1, keysPerSlotMax: 1 }, 0), RangeError);
  const w = new CountWindow(FIELDS, { slotMs: 1000, slots: 4, keysPerSlotMax: 4 }, 0);
  assert.throws(() => w.add("a", "stored", -1, 0), RangeError);
  assert.throws(() => w.add("a", "stored", 1.5, 0), RangeError);
  assert.throws(() => w.totals(0, 5), RangeError);
  assert.throws(() => w.totals(0, 0), RangeError);
});
