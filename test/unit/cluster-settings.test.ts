import assert from "node:assert/strict";
import { test } from "node:test";
import { defaultClusterSettings, validateClusterSettings } from "../../src/config/node-options.js";
import { ConfigError } from "../../src/errors.js";
import { checkSettingsConflicts, NodeMeta, newClusterSettings } from "../../src/node-meta.js";
import { MemoryEngine } from "../../src/storage/memory-engine.js";

test("a new cluster is causal unless created with another conflict mode", () => {
  assert.equal(newClusterSettings({}, defaultClusterSettings).conflictMode, "causal");
  assert.equal(newClusterSettings({ conflictMode: "lww" }, defaultClusterSettings).conflictMode, "lww");
});

test("a conflicting --conflict-mode is refused; an omitted one is adopted", () => {
  const cluster = { ...defaultClusterSettings, conflictMode: "lww" as const };
  assert.throws(
    () => checkSettingsConflicts({ conflictMode: "causal" }, cluster),
    (e: unknown) =>
      e instanceof ConfigError &&
      /--conflict-mode causal conflicts with the cluster's conflict mode lww/.test(e.message),
  );
  checkSettingsConflicts({ conflictMode: "lww" }, cluster);
  checkSettingsConflicts({}, cluster);
});

test("settings stored before conflict modes existed read back as causal", async () => {
  const storage = new MemoryEngine();
  const legacy = new TextEncoder().encode(JSON.stringify({ n: 3, r: 2, w: 2, partitions: 64 }));
  await storage.batch([{ store: "meta", key: new TextEncoder().encode("cluster-settings"), value: legacy }]);
  assert.deepEqual(new NodeMeta(storage).settings(), {
    n: 3,
    r: 2,
    w: 2,
    partitions: 64,
    conflictMode: "causal",
  });
});

test("an unknown conflict mode is a configuration error", () => {
  assert.throws(
    () => validateClusterSettings({ ...defaultClusterSettings, conflictMode: "newest" as "lww" }),
    /--conflict-mode must be causal or lww, got "newest"/,
  );
});
