import type { Socket } from "node:net";

/**
 * Writes to one socket that leave together: the first write of an event-loop turn corks the
 * socket and the turn's end uncorks it, so every frame written meanwhile goes out in one
 * `writev` (and, with Nagle off, at once). "The turn's end" is a `setImmediate`: it runs after
 * every I/O callback of the loop iteration, so the answers and replica messages that many
 * arriving frames cause share one system call per socket instead of one per arriving chunk.
 */
export class TurnWriter {
  private corked = false;

  constructor(private readonly socket: Socket) {}

  write(buffers: readonly Uint8Array[]): void {
    if (this.socket.destroyed) return;
    if (!this.corked) {
      this.corked = true;
      this.socket.cork();
      (FLUSH_ON_TICK ? process.nextTick : setImmediate)(() => {
        this.corked = false;
        this.socket.uncork();
      });
    }
    for (const buffer of buffers) this.socket.write(buffer);
  }
}
const FLUSH_ON_TICK = process.env.RINGKV_FLUSH_TICK === "1";
