import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { FrameTooLargeError } from "../../src/net/errors.js";
import { encodeFrame, FrameDecoder } from "../../src/net/frame-codec.js";

test("frames split at arbitrary points come out whole and in order", () => {
  fc.assert(
    fc.property(
      fc.array(fc.uint8Array({ maxLength: 40_000 }), { maxLength: 8 }),
      fc.array(fc.integer({ min: 1, max: 50_000 }), { minLength: 1, maxLength: 20 }),
      (payloads, cuts) => {
        const stream = Buffer.concat(payloads.flatMap((payload) => encodeFrame([payload], 1 << 20)));
        const decoder = new FrameDecoder(1 << 20);
        const out: Buffer[] = [];
        let offset = 0;
        for (let i = 0; offset < stream.length; i++) {
          const size = cuts[i % cuts.length] ?? 1;
          out.push(...decoder.push(stream.subarray(offset, offset + size)));
          offset += size;
        }
        assert.deepEqual(
          out.map((frame) => Buffer.from(frame).toString("hex")),
          payloads.map((payload) => Buffer.from(payload).toString("hex")),
        );
        assert.equal(decoder.pendingBytes, 0);
      },
    ),
    { numRuns: 200 },
  );
});

test("a header announcing more than frameBytesMax throws before the body arrives", () => {
  const decoder = new FrameDecoder(100);
  const header = Buffer.alloc(4);
  header.writeUInt32BE(101, 0);
  assert.deepEqual(decoder.push(header.subarray(0, 3)), []);
  assert.throws(() => decoder.push(header.subarray(3)), FrameTooLargeError);
});

test("a frame of exactly frameBytesMax passes, one byte more is refused when encoding", () => {
  const decoder = new FrameDecoder(100);
  const [frame] = encodeFrame([new Uint8Array(60), new Uint8Array(40)], 100);
  assert.ok(frame !== undefined);
  assert.equal(decoder.push(Buffer.from(frame))[0]?.length, 100);
  assert.throws(() => encodeFrame([new Uint8Array(101)], 100), FrameTooLargeError);
});

test("large frames are written as header and payload without copying the payload", () => {
  const payload = new Uint8Array(1 << 20);
  const buffers = encodeFrame([payload], 2 << 20);
  assert.equal(buffers.length, 2);
  assert.equal(buffers[1], payload);
  assert.equal(Buffer.from(buffers[0] ?? []).readUInt32BE(0), 1 << 20);
});
