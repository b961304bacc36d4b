/** Writes `count` keys of `valueBytes` through the given nodes in turn, `concurrency` at once; every write must be acknowledged. */
export async function writeKeys(
  urls: readonly string[],
  prefix: string,
  count: number,
  valueBytes: number,
  concurrency: number,
  w: number,
): Promise<{ acked: number; seconds: number }> {
  const value = Buffer.alloc(valueBytes, 120);
  let next = 0;
  let acked = 0;
  const startedMs = performance.now();
  const worker = async (): Promise<void> => {
    for (let i = next++; i < count; i = next++) {
      const url = urls[i % urls.length] as string;
      const res = await fetch(`${url}/kv/${prefix}-${i}?w=${w}`, { method: "PUT", body: value });
      await res.arrayBuffer();
      if (res.status !== 204) throw new Error(`PUT ${prefix}-${i} through ${url}: HTTP ${res.status}`);
      acked += 1;
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return { acked, seconds: (performance.now() - startedMs) / 1000 };
}
