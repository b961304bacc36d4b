import assert from "node:assert/strict";
import { FrameTooLargeError } from "./errors.js";

/** Every frame starts with its payload length as an unsigned 32-bit big-endian integer. */
export const FRAME_HEADER_BYTES = 4;

/** The largest payload the 4-byte header can describe. */
export const FRAME_BYTES_LIMIT = 0xffff_ffff;

/** Below this size a frame is copied into one buffer; above it header and payload go out as two writes. */
const FRAME_COPY_BYTES_MAX = 16 * 1024;

/**
 * Returns the buffers to write for one frame carrying `parts` concatenated as its payload. Small
 * frames become one buffer (fewer writev entries); large ones are not copied.
 */
export function encodeFrame(parts: readonly Uint8Array[], frameBytesMax: number): Uint8Array[] {
  let payloadBytes = 0;
  for (const part of parts) payloadBytes += part.length;
  if (payloadBytes > frameBytesMax) throw new FrameTooLargeError(payloadBytes, frameBytesMax);
  if (payloadBytes <= FRAME_COPY_BYTES_MAX) {
    const frame = Buffer.allocUnsafe(FRAME_HEADER_BYTES + payloadBytes);
    frame.writeUInt32BE(payloadBytes, 0);
    let offset = FRAME_HEADER_BYTES;
    for (const part of parts) {
      frame.set(part, offset);
      offset += part.length;
    }
    return [frame];
  }
  const header = Buffer.allocUnsafe(FRAME_HEADER_BYTES);
  header.writeUInt32BE(payloadBytes, 0);
  return [header, ...parts];
}

/**
 * Splits a byte stream into frame payloads. Chunks are kept as they arrive and joined only once a
 * whole payload is present, so a large frame arriving in many chunks is copied once. The length is
 * checked as soon as the header is complete, before any of the body is buffered: a peer cannot make
 * this node hold more than `frameBytesMax` bytes for one frame.
 */
export class FrameDecoder {
  private readonly chunks: Buffer[] = [];
  private bufferedBytes = 0;
  /** The payload length of the frame being read, or -1 while its header is incomplete. */
  private payloadBytes = -1;

  constructor(private frameBytesMax: number) {
    assert(Number.isInteger(frameBytesMax) && frameBytesMax >= 0 && frameBytesMax <= FRAME_BYTES_LIMIT);
  }

  /** Changes the limit for the frames that follow (raised once a connection's handshake is done). */
  setFrameBytesMax(frameBytesMax: number): void {
    assert(Number.isInteger(frameBytesMax) && frameBytesMax >= 0 && frameBytesMax <= FRAME_BYTES_LIMIT);
    this.frameBytesMax = frameBytesMax;
  }

  /**
   * Adds a chunk and returns every payload it completes, in order. Throws FrameTooLargeError when a
   * header announces more than `frameBytesMax`; the stream is then unusable (frames are not
   * self-synchronising) and the caller closes the connection.
   */
  push(chunk: Buffer, framesMax = Number.POSITIVE_INFINITY): Buffer[] {
    const frames: Buffer[] = [];
    if (chunk.length > 0) {
      this.chunks.push(chunk);
      this.bufferedBytes += chunk.length;
    }
    for (;;) {
      // What follows stays buffered, to be read under the limit set for it (see setFrameBytesMax).
      if (frames.length >= framesMax) return frames;
      if (this.payloadBytes < 0) {
        if (this.bufferedBytes < FRAME_HEADER_BYTES) return frames;
        const length = this.take(FRAME_HEADER_BYTES).readUInt32BE(0);
        if (length > this.frameBytesMax) throw new FrameTooLargeError(length, this.frameBytesMax);
        this.payloadBytes = length;
      }
      if (this.bufferedBytes < this.payloadBytes) return frames;
      frames.push(this.take(this.payloadBytes));
      this.payloadBytes = -1;
    }
  }

  /** Bytes received but not yet returned as part of a frame. */
  get pendingBytes(): number {
    return this.bufferedBytes;
  }

  /** Removes and returns the first `length` buffered bytes (the caller checked they are there). */
  private take(length: number): Buffer {
    assert(length <= this.bufferedBytes, "frame decoder took more bytes than it holds");
    this.bufferedBytes -= length;
    const first = this.chunks[0];
    if (first === undefined) return Buffer.alloc(0);
    if (first.length > length) {
      this.chunks[0] = first.subarray(length);
      return first.subarray(0, length);
    }
    if (first.length === length) {
      this.chunks.shift();
      return first;
    }
    const out = Buffer.allocUnsafe(length);
    let offset = 0;
    while (offset < length) {
      const chunk = this.chunks[0];
      assert(chunk !== undefined, "frame decoder ran out of chunks");
      const used = Math.min(chunk.length, length - offset);
      chunk.copy(out, offset, 0, used);
      offset += used;
      if (used === chunk.length) this.chunks.shift();
      else this.chunks[0] = chunk.subarray(used);
    }
    return out;
  }
}
