import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { TransferTickets } from './transfer-tickets';

const CALL = 'CA' + '0123456789abcdef'.repeat(2);

describe('TransferTickets', () => {
  const tickets = new TransferTickets(randomBytes(32));

  it('verifies what it minted, naming the call and a room derived from the ticket', () => {
    const ticket = tickets.mint(CALL, 60_000);
    expect(ticket.id).toMatch(/^wt1\.CA[0-9a-f]{32}\.\d{10}\.[A-Za-z0-9_-]{12}\.[A-Za-z0-9_-]{43}$/);
    expect(tickets.verify(ticket.id)).toEqual(ticket);
    expect(ticket.room).toBe(`warm-transfer-${ticket.id.split('.')[3]}`);
    expect(tickets.mint(CALL, 60_000).room).not.toBe(ticket.room);
  });

  it('refuses a ticket that was altered, moved to another call, signed with another key, expired or malformed', () => {
    const now = Date.now();
    const ticket = tickets.mint(CALL, 60_000, now);
    const [prefix, callSid, expiry, nonce, mac] = ticket.id.split('.');
    expect(tickets.verify([prefix, 'CA' + 'f'.repeat(32), expiry, nonce, mac].join('.'))).toBeUndefined();
    expect(tickets.verify([prefix, callSid, String(Number(expiry) + 3600), nonce, mac].join('.'))).toBeUndefined();
    expect(tickets.verify([prefix, callSid, expiry, nonce.replace(/^./, (c) => (c === 'A' ? 'B' : 'A')), mac].join('.'))).toBeUndefined();
    expect(new TransferTickets(randomBytes(32)).verify(ticket.id)).toBeUndefined();
    expect(tickets.verify(ticket.id, now + 61_000)).toBeUndefined();
    for (const bad of [undefined, '', 'wt1', ticket.id + 'x', 'x'.repeat(500)]) expect(tickets.verify(bad)).toBeUndefined();
    expect(() => tickets.mint('not-a-call', 60_000)).toThrow(/CallSid/);
  });
});
