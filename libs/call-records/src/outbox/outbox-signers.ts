import { Injectable } from '@nestjs/common';

/** One attempt to sign: the message's stable id, its exact body, and the attempt's time (Unix ms). */
export interface SigningInput {
  id: string;
  body: string;
  timestamp: number;
}

/**
 * Authenticates webhook deliveries of one kind: the headers each attempt carries (a signature over
 * the body, the delivery id receivers deduplicate on). Its key lives in the configuration, so the
 * outbox table stores only the signer's name.
 */
export interface OutboxSigner {
  headers(input: SigningInput): Record<string, string>;
}

/** The signers this instance knows, by the name stored with each outbox message. */
@Injectable()
export class OutboxSigners {
  private readonly signers = new Map<string, OutboxSigner>();

  register(name: string, signer: OutboxSigner): void {
    this.signers.set(name, signer);
  }

  get(name: string): OutboxSigner | undefined {
    return this.signers.get(name);
  }

  get size(): number {
    return this.signers.size;
  }
}
