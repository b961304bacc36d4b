import { ConfigError } from "../errors.js";
import { FRAME_BYTES_LIMIT } from "./frame-codec.js";
import { FRAME_BYTES_MIN } from "./wire.js";

/** The limits both transports enforce per peer, with the same meaning. */
export interface PeerLimits {
  /** Largest encoded message (frame payload); a larger one is refused with FrameTooLargeError. */
  frameBytesMax: number;
  /** Requests to one peer awaiting their answer at once. */
  inFlightPerPeerMax: number;
  /** Requests to one peer waiting for an in-flight slot; one more is refused with PeerOverloadedError. */
  waitQueuePerPeerMax: number;
}

export function checkPeerLimits(limits: PeerLimits): void {
  checkInteger("frameBytesMax", limits.frameBytesMax, FRAME_BYTES_MIN, FRAME_BYTES_LIMIT);
  checkInteger("inFlightPerPeerMax", limits.inFlightPerPeerMax, 1, 1_000_000);
  checkInteger("waitQueuePerPeerMax", limits.waitQueuePerPeerMax, 0, 1_000_000);
}

export function checkInteger(name: string, value: number, min: number, max: number): void {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new ConfigError(`transport option ${name} must be an integer in ${min}..${max}, got ${value}`);
  }
}

export function checkName(name: string, value: string): void {
  if (typeof value !== "string" || value.length === 0 || value.length > 1024) {
    throw new ConfigError(`transport option ${name} must be a string of 1..1024 characters`);
  }
}
