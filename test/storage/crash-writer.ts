/**
 * Child process for crash-durability.test.ts: opens the LMDB engine in the directory given as
 * the only argument and writes as fast as it can, many writes in flight at once (so lmdb-js
 * groups them into shared commits), mixing `update` and `batch`. It prints `ack <key>` for a key
 * only after the promise of the write that stored it resolved, i.e. once the engine promised it
 * is durable, and `counter <n>` after the read-modify-write that raised the counter to n. It runs
 * until the parent kills it with SIGKILL.
 */
import { openLmdbEngine } from "../../src/storage/lmdb-engine.js";
import { crashValue, IN_FLIGHT_WRITES, KEYS_PER_BATCH, MAP_SIZE_BYTES_MAX } from "./crash-protocol.js";

const dir = process.argv[2];
if (dir === undefined) {
  process.stderr.write("usage: crash-writer <dir>\n");
  process.exit(2);
}

const engine = await openLmdbEngine({ path: dir, mapSizeBytesMax: MAP_SIZE_BYTES_MAX });
const encoder = new TextEncoder();
let sequence = 0;

function readCounter(old: Uint8Array | undefined): number {
  return old === undefined ? 0 : Number(new TextDecoder().decode(old));
}

async function writeOne(): Promise<void> {
  const id = sequence++;
  if (id % 10 === 0) {
    const n = await engine.update("meta", encoder.encode("counter"), (old) => {
      const next = readCounter(old) + 1;
      return { write: encoder.encode(String(next)), result: next };
    });
    process.stdout.write(`counter ${n}\n`);
  } else if (id % 2 === 0) {
    const key = `u-${id}`;
    await engine.update("objects", encoder.encode(key), () => ({
      write: crashValue(key),
      result: undefined,
    }));
    process.stdout.write(`ack ${key}\n`);
  } else {
    const keys = Array.from({ length: KEYS_PER_BATCH }, (_, j) => `b-${id}-${j}`);
    await engine.batch(
      keys.map((key) => ({ store: "objects", key: encoder.encode(key), value: crashValue(key) })),
    );
    process.stdout.write(keys.map((key) => `ack ${key}\n`).join(""));
  }
}

async function writeForever(): Promise<never> {
  for (;;) await writeOne();
}

// Every lane keeps one write in flight; a failed write ends the process with its error, which the
// parent reports because the child exited before it was killed.
await Promise.all(Array.from({ length: IN_FLIGHT_WRITES }, () => writeForever()));
