import type { Socket } from "node:net";

/**
 * Writes to one socket that leave together: the first write corks the socket and a
 * `process.nextTick` uncorks it, so every frame written by the code one arriving chunk runs
 * goes out in one `writev` (and, with Nagle off, at once). Flushing later, at `setImmediate`
 * (after every I/O callback of the loop iteration), was measured: fewer system calls but 9%
 * less throughput on workload A (4077 and 4331 ops/s against 4503 and 4698), because answers
 * then wait for the rest of the iteration's work.
 */
export class TurnWriter {
  private corked = false;

  constructor(private readonly socket: Socket) {}

  write(buffers: readonly Uint8Array[]): void {
    if (this.socket.destroyed) return;
    if (!this.corked) {
      this.corked = true;
      this.socket.cork();
      process.nextTick(() => {
        this.corked = false;
        this.socket.uncork();
      });
    }
    for (const buffer of buffers) this.socket.write(buffer);
  }
}
