/**
 * What growing a cluster does to the old owners' disks: 3 real nodes (N=3, W=2, Q=64) loaded with
 * --keys keys of 1 KiB, grown to 5 while a writer keeps adding keys; every few seconds one line
 * with each node's keys (ringkv_storage_entries) and LMDB data file size (data.mdb). Once reclaim
 * has dropped what n1..n3 gave away, their keys fall to about 3/5 and their files stop growing:
 * LMDB reuses the freed pages for the new writes.
 * Run: `npm run build && node dist/scripts/reclaim-measure.js [--keys 20000] [--seconds 150]`.
 */
import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { ProcessGroup } from "./bench-compare/process-group.js";
import { writeKeys } from "./repair-bench/load.js";
import { LocalCluster } from "./repair-bench/local-cluster.js";

const BIN = fileURLToPath(new URL("../../bin/ringkv.js", import.meta.url));
const { values } = parseArgs({
  options: { keys: { type: "string", default: "20000" }, seconds: { type: "string", default: "150" } },
});
const KEYS = Number(values.keys);
const SECONDS = Number(values.seconds);
const SAMPLE_MS = 5000;

const say = (line: string): void => {
  process.stdout.write(`${line}\n`);
};
const group = new ProcessGroup();
const root = mkdtempSync(join(tmpdir(), "ringkv-reclaim-"));

function fileMiB(cluster: LocalCluster, id: string): string {
  const node = cluster.nodes.find((n) => n.id === id);
  if (node === undefined) return "-";
  try {
    return (statSync(join(node.dataDir, "data.mdb")).size / 1024 / 1024).toFixed(1);
  } catch {
    return "-";
  }
}

async function sample(cluster: LocalCluster, label: string): Promise<void> {
  const cells = await Promise.all(
    cluster.nodes.map(
      async (n) =>
        `${n.id} ${String(await cluster.keysOn(n.id)).padStart(6)} keys ${fileMiB(cluster, n.id).padStart(5)} MiB`,
    ),
  );
  say(`${label.padEnd(10)} ${cells.join(" ")}`);
}

async function main(): Promise<void> {
  const cluster = new LocalCluster(group, root, BIN, [
    "--n",
    "3",
    "--r",
    "2",
    "--w",
    "2",
    "--partitions",
    "64",
  ]);
  await cluster.start(3);
  const urls = () => cluster.nodes.map((n) => cluster.url(n.id));
  const loaded = await writeKeys(urls(), "base", KEYS, 1024, 32, 3);
  say(
    `loaded ${loaded.acked} keys of 1 KiB in ${loaded.seconds.toFixed(1)} s; per node: keys, data.mdb size`,
  );
  await sample(cluster, "t=0");
  const startedMs = performance.now();
  let writing = true;
  let batch = 0;
  let written = 0;
  // A steady writer: 500 new keys a second or so, through the three old nodes.
  const writer = (async () => {
    while (writing) {
      const r = await writeKeys(urls().slice(0, 3), `more-${batch++}`, 250, 1024, 8, 2);
      written += r.acked;
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
  })();
  await cluster.add("n4");
  await cluster.add("n5");
  say(`n4, n5 joined at t=${((performance.now() - startedMs) / 1000).toFixed(0)} s`);
  while (performance.now() - startedMs < SECONDS * 1000) {
    await new Promise((resolve) => setTimeout(resolve, SAMPLE_MS));
    await sample(cluster, `t=${((performance.now() - startedMs) / 1000).toFixed(0)}s`);
  }
  writing = false;
  await writer;
  say(`written during the run: ${written} keys`);
}

main()
  .catch((error: unknown) => {
    process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exitCode = 1;
  })
  .finally(async () => {
    await group.stopAll(5000);
    rmSync(root, { recursive: true, force: true });
  });
