import { BadClusterStateError } from "../core/membership/cluster-state.js";
import { NotReadyError } from "../errors.js";
import type { Logger } from "../log/logger.js";
import type { Message, PeerInfo, TransportHandler } from "../net/transport.js";
import { decodeRequest, encodeReply } from "./codec.js";
import { PeerMessageError, UnknownMessageError } from "./errors.js";
import type { ProtocolLimits } from "./limits.js";
import { type MessageDef, messageDefOf, peerMessages, type ReplyIn, type RequestOut } from "./messages.js";
import { toWireFailure } from "./wire-errors.js";

/**
 * Answers one message type. `from` is the sender as the transport authenticated it (its
 * handshake): who asks, for handlers that must know. A handler fails by throwing a RingkvError;
 * it never returns an error as a reply.
 */
export type PeerHandler<D extends MessageDef> = (
  request: RequestOut<D>,
  from: PeerInfo,
) => Promise<ReplyIn<D>> | ReplyIn<D>;

export interface HandlerEntry {
  readonly def: MessageDef;
  readonly handle: (request: unknown, from: PeerInfo) => Promise<unknown> | unknown;
}

/** Pairs a message definition with the subsystem function that answers it. */
export function handler<D extends MessageDef>(def: D, handle: PeerHandler<D>): HandlerEntry {
  return { def, handle: handle as HandlerEntry["handle"] };
}

/** The message types of the protocol that none of `entries` answers. */
export function missingHandlers(entries: readonly HandlerEntry[]): string[] {
  const served = new Set(entries.map((e) => e.def.type));
  return Object.values(peerMessages)
    .map((d) => d.type)
    .filter((t) => !served.has(t));
}

/**
 * The registry that routes each peer message to its subsystem. It serves the transport from
 * the moment it starts; until the node's services are built and installed, every known message
 * is refused as `not_ready` (retry later), an unknown one as `unknown_message`.
 */
export class PeerServer implements TransportHandler {
  private installed: { limits: ProtocolLimits; handlers: Map<string, HandlerEntry> } | undefined;

  constructor(
    private readonly logger: Logger,
    /** Called with the message type (a known one, else "unknown") of each message refused as malformed. */
    private readonly onRefused: (type: string) => void = () => {},
  ) {}

  /** Installs the handlers at once; a message type has at most one (see missingHandlers). */
  install(limits: ProtocolLimits, entries: readonly HandlerEntry[]): void {
    if (this.installed !== undefined) throw new Error("peer handlers are installed once");
    const handlers = new Map<string, HandlerEntry>();
    for (const e of entries) {
      if (handlers.has(e.def.type)) throw new Error(`two handlers for ${e.def.type}`);
      handlers.set(e.def.type, e);
    }
    this.installed = { limits, handlers };
  }

  async onRequest(from: PeerInfo, message: Message): Promise<Message> {
    try {
      if (messageDefOf(message.type) === undefined) throw new UnknownMessageError(message.type);
      const installed = this.installed;
      if (installed === undefined) throw new NotReadyError("the node is still starting; retry shortly");
      const entry = installed.handlers.get(message.type);
      // A type of the protocol that this server does not answer (a test server serves gossip only).
      if (entry === undefined) throw new UnknownMessageError(message.type);
      const { request } = decodeRequest(message, installed.limits);
      return encodeReply(entry.def, (await entry.handle(request, from)) as ReplyIn<MessageDef>);
    } catch (error) {
      const failure = toWireFailure(error);
      if (
        error instanceof UnknownMessageError ||
        error instanceof PeerMessageError ||
        error instanceof BadClusterStateError
      ) {
        this.onRefused(messageDefOf(message.type) === undefined ? "unknown" : message.type);
        this.logger.warn(
          { from: from.id, type: message.type.slice(0, 64), reason: failure.message },
          "peer message refused",
        );
      } else if (failure.code === "internal")
        this.logger.error(
          { from: from.id, type: message.type.slice(0, 64), err: error },
          "peer request failed",
        );
      throw failure;
    }
  }

  /** No one-way message is defined: one that arrives is dropped. */
  onMessage(from: PeerInfo, message: Message): void {
    this.logger.debug({ from: from.id, type: message.type.slice(0, 64) }, "one-way peer message dropped");
  }
}
