import type { Message } from "../net/transport.js";
import { UnexpectedReplyError, UnknownMessageError } from "./errors.js";
import type { ProtocolLimits } from "./limits.js";
import {
  type MessageDef,
  messageDefOf,
  type PeerRequest,
  type ReplyIn,
  type ReplyOut,
  type RequestIn,
} from "./messages.js";

/**
 * The one codec between typed messages and the maps the transport carries. Receiving is where
 * validation happens: nothing from a peer reaches a handler or a caller without its schema.
 */
export function encodeRequest<D extends MessageDef>(def: D, body: RequestIn<D>): Message {
  return { ...(body as object), type: def.type };
}

export function encodeReply<D extends MessageDef>(def: D, body: ReplyIn<D>): Message {
  return { ...(body as object), type: def.replyType };
}

/** A received request, checked: its definition and its typed body. Throws UnknownMessageError or PeerMessageError. */
export function decodeRequest(
  message: Message,
  limits: ProtocolLimits,
): { def: MessageDef; request: PeerRequest } {
  const def = messageDefOf(message.type);
  if (def === undefined) throw new UnknownMessageError(message.type);
  const body = def.request.parse(message, limits, def.type) as object;
  return { def, request: { ...body, type: def.type } as PeerRequest };
}

/** A reply to `def` from `peer`, checked. Throws UnexpectedReplyError or PeerMessageError. */
export function decodeReply<D extends MessageDef>(
  def: D,
  message: Message,
  limits: ProtocolLimits,
  peer: string,
): ReplyOut<D> {
  if (message.type !== def.replyType) throw new UnexpectedReplyError(peer, def.replyType, message.type);
  return def.reply.parse(message, limits, def.replyType) as ReplyOut<D>;
}
