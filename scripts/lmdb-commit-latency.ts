/**
 * Durable commit cost of the LMDB engine as the node configures it: sequential updates (one
 * fsync'd commit each), then throughput at 4, 10, 50 and 200 concurrent writers (group commit),
 * each with the process CPU (user and kernel) spent per write.
 * Run: `npm run build && node dist/scripts/lmdb-commit-latency.js`.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openLmdbEngine } from "../src/storage/lmdb-engine.js";

const SEQUENTIAL_WRITES = 300;
const CONCURRENT_RUN_MS = 3000;
const value = new Uint8Array(1100);
const key = (i: number): Uint8Array => Buffer.from(`key-${i}`);

const dir = mkdtempSync(join(tmpdir(), "ringkv-commit-"));
try {
  const engine = await openLmdbEngine({ path: dir, mapSizeBytesMax: 2 ** 30 });
  const cpuPerWrite = (since: NodeJS.CpuUsage, writes: number): string => {
    const used = process.cpuUsage(since);
    return `CPU ${(used.user / writes).toFixed(0)} us user + ${(used.system / writes).toFixed(0)} us kernel per write`;
  };
  let cpu = process.cpuUsage();
  let started = performance.now();
  for (let i = 0; i < SEQUENTIAL_WRITES; i++)
    await engine.update("objects", key(i), () => ({ write: value, result: undefined }));
  const sequentialMs = (performance.now() - started) / SEQUENTIAL_WRITES;
  process.stdout.write(
    `sequential: ${sequentialMs.toFixed(2)} ms per durable update, ${cpuPerWrite(cpu, SEQUENTIAL_WRITES)}\n`,
  );
  for (const writers of [4, 10, 50, 200]) {
    cpu = process.cpuUsage();
    started = performance.now();
    const endMs = started + CONCURRENT_RUN_MS;
    let done = 0;
    await Promise.all(
      Array.from({ length: writers }, async (_, w) => {
        while (performance.now() < endMs) {
          await engine.update("objects", key(1_000_000 * (w + 1) + done++), () => ({
            write: value,
            result: undefined,
          }));
        }
      }),
    );
    const perSecond = Math.round(done / ((performance.now() - started) / 1000));
    process.stdout.write(
      `${writers} concurrent writers: ${perSecond} durable updates/s, ${cpuPerWrite(cpu, done)}\n`,
    );
  }
  await engine.close();
} finally {
  rmSync(dir, { recursive: true, force: true });
}
