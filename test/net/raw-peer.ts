import { once } from "node:events";
import { connect, createServer, type Server, type Socket } from "node:net";
import { Packr } from "msgpackr";
import { FrameDecoder } from "../../src/net/frame-codec.js";

/**
 * A hand-driven peer for wire-level tests: raw sockets that write exactly the bytes a test chooses.
 * Encoding uses a plain msgpackr instance, not the transport's own codec, so these tests also check
 * that the transport speaks standard MessagePack.
 */
const packr = new Packr({ useRecords: false, mapsAsObjects: true, moreTypes: false, structuredClone: false });

export function pack(value: unknown): Buffer {
  return packr.pack(value);
}

/** A whole frame: 4-byte big-endian length, then the payload. */
export function frame(payload: Uint8Array): Buffer {
  const header = Buffer.alloc(4);
  header.writeUInt32BE(payload.length, 0);
  return Buffer.concat([header, payload]);
}

export function helloFrame(fields: {
  protocol?: number;
  cluster: string;
  id?: string;
  address?: string;
}): Buffer {
  return frame(
    pack({
      protocol: fields.protocol ?? 1,
      cluster: fields.cluster,
      id: fields.id ?? "raw",
      address: fields.address ?? "127.0.0.1:1",
    }),
  );
}

/** One raw socket and the frames it has received (decoded), with a promise for its close. */
export class RawConnection {
  readonly frames: unknown[] = [];
  readonly closed: Promise<void>;
  private readonly decoder = new FrameDecoder(64 * 1024 * 1024);

  constructor(readonly socket: Socket) {
    socket.on("data", (chunk: Buffer) => {
      for (const payload of this.decoder.push(chunk)) this.frames.push(packr.unpack(payload));
    });
    // Resets are expected here: the transport under test closes misbehaving connections.
    socket.on("error", () => undefined);
    this.closed = new Promise((resolve) => socket.once("close", () => resolve()));
  }

  static async connect(address: string): Promise<RawConnection> {
    const [host, port] = splitAddress(address);
    const socket = connect({ host, port });
    const connection = new RawConnection(socket);
    await once(socket, "connect");
    return connection;
  }

  write(bytes: Uint8Array): void {
    this.socket.write(bytes);
  }

  destroy(): void {
    this.socket.destroy();
  }
}

/** A listening raw server; `onConnection` decides what each accepted socket does. */
export class RawServer {
  readonly connections: RawConnection[] = [];
  private readonly server: Server;

  constructor(onConnection: (connection: RawConnection) => void) {
    this.server = createServer((socket) => {
      const connection = new RawConnection(socket);
      this.connections.push(connection);
      onConnection(connection);
    });
  }

  async listen(): Promise<string> {
    this.server.listen({ host: "127.0.0.1", port: 0 });
    await once(this.server, "listening");
    const address = this.server.address();
    if (address === null || typeof address === "string") throw new Error("raw server has no TCP address");
    return `127.0.0.1:${address.port}`;
  }

  async close(): Promise<void> {
    for (const connection of this.connections) connection.destroy();
    if (!this.server.listening) return;
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

/** A loopback address where nothing listens: a port the kernel gave us, released again. */
export async function unusedAddress(): Promise<string> {
  const server = new RawServer(() => undefined);
  const address = await server.listen();
  await server.close();
  return address;
}

function splitAddress(address: string): [string, number] {
  const colon = address.lastIndexOf(":");
  return [address.slice(0, colon), Number(address.slice(colon + 1))];
}
