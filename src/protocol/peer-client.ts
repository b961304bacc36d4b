import { PeerUnreachableError, RemoteError } from "../net/errors.js";
import type { Message, RequestOptions, Transport } from "../net/transport.js";
import { decodeReply, encodeRequest } from "./codec.js";
import type { ProtocolLimits } from "./limits.js";
import type { MessageDef, ReplyOut, RequestIn } from "./messages.js";
import { fromRemoteError } from "./wire-errors.js";

/**
 * Sends typed requests to other nodes by inter-node address: the body is encoded by the
 * message's definition, the reply checked against its schema, and a remote failure rebuilt as
 * the error the remote handler threw (wire-errors.ts). Every subsystem that talks to peers goes
 * through this, or through a MemberClient built on it.
 */
export class PeerClient {
  constructor(
    private readonly transport: Transport,
    private readonly limits: ProtocolLimits,
  ) {}

  async request<D extends MessageDef>(
    address: string,
    def: D,
    body: RequestIn<D>,
    options: RequestOptions,
  ): Promise<ReplyOut<D>> {
    let reply: Message;
    try {
      reply = await this.transport.request(address, encodeRequest(def, body), options);
    } catch (error) {
      throw error instanceof RemoteError ? fromRemoteError(error) : error;
    }
    return decodeReply(def, reply, this.limits, address);
  }
}

/** A PeerClient that addresses members by id, through the cluster's membership. */
export class MemberClient {
  constructor(
    private readonly peers: PeerClient,
    /** The inter-node address of a member, or undefined if unknown. */
    private readonly addressOf: (nodeId: string) => string | undefined,
  ) {}

  /** Rejects with PeerUnreachableError when no address is known for the member. */
  request<D extends MessageDef>(
    nodeId: string,
    def: D,
    body: RequestIn<D>,
    options: RequestOptions,
  ): Promise<ReplyOut<D>> {
    const address = this.addressOf(nodeId);
    if (address === undefined)
      return Promise.reject(new PeerUnreachableError(nodeId, "no address known for this node"));
    return this.peers.request(address, def, body, options);
  }
}
