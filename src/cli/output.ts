/** Where a command writes and reads; the real process streams, or buffers in tests. */
export interface Output {
  stdout(data: string | Uint8Array): void;
  stderr(data: string): void;
  readStdin(): Promise<Uint8Array>;
  stdoutIsTTY: boolean;
  stdinIsTTY: boolean;
}

export const processOutput: Output = {
  stdout: (data) => {
    process.stdout.write(data);
  },
  stderr: (data) => {
    process.stderr.write(data);
  },
  async readStdin() {
    const chunks: Buffer[] = [];
    for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks);
  },
  stdoutIsTTY: process.stdout.isTTY === true,
  stdinIsTTY: process.stdin.isTTY === true,
};
