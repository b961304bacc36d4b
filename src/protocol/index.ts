/** The peer protocol: every message, its schema and reply, the codec, the client, the handler registry, the wire errors. */
export { decodeReply, decodeRequest, encodeReply, encodeRequest } from "./codec.js";
export { PeerMessageError, UnexpectedReplyError, UnknownMessageError } from "./errors.js";
export {
  AAE_BATCH_KEYS_MAX,
  type ProtocolLimits,
  STORED_KEY_BYTES_MAX,
  TRANSFER_BATCH_KEYS_MAX,
} from "./limits.js";
export {
  type JoinInfo,
  type MessageDef,
  messageDefOf,
  type PeerMessageName,
  type PeerMessageType,
  type PeerRequest,
  peerMessages,
  type ReplyIn,
  type ReplyOut,
  type RequestIn,
  type RequestOut,
} from "./messages.js";
export { MemberClient, PeerClient } from "./peer-client.js";
export { type HandlerEntry, handler, missingHandlers, type PeerHandler, PeerServer } from "./peer-server.js";
export { fromRemoteError, toWireFailure, WireFailure, wireCodeOf } from "./wire-errors.js";
