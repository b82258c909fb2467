import { afterEach, describe, expect, it, vi } from 'vitest';
import type { FleetBus } from '@app/fleet';
import type { AgentAnswer, TransferTicket, WarmTransferTickets } from '@app/telephony';
import { WarmTransfers } from './warm-transfers.service';

/** A bus on which the pod holding the call takes the answer but never replies (Redis slow or the reply lost). */
function silentHolder(holds: boolean) {
  const bus = {
    onCallMessage: () => () => undefined,
    subscribe: () => () => undefined,
    publish: () => undefined,
    sendToCallWithin: vi.fn(async () => holds),
  };
  const transfers = new WarmTransfers(bus as unknown as FleetBus, {} as WarmTransferTickets);
  transfers.onModuleInit();
  return transfers;
}

const ticket = { id: 'wt1.ticket', callSid: 'CA' + '5'.repeat(32) } as unknown as TransferTicket;

describe('WarmTransfers across pods', () => {
  afterEach(() => vi.useRealTimers());

  it('when the holding pod does not reply in time, an accepting colleague still joins (the caller is not left alone), a decline does not', async () => {
    vi.useFakeTimers();
    const transfers = silentHolder(true);
    const accepted = transfers.onAgentAnswer(ticket, { kind: 'accepted' } as AgentAnswer);
    const declined = transfers.onAgentAnswer(ticket, { kind: 'declined' } as AgentAnswer);
    await vi.advanceTimersByTimeAsync(3000);
    expect(await accepted).toBe(true);
    expect(await declined).toBe(false);
  });

  it('no pod holds the call any more: the colleague is told the caller left', async () => {
    const transfers = silentHolder(false);
    expect(await transfers.onAgentAnswer(ticket, { kind: 'accepted' } as AgentAnswer)).toBe(false);
  });
});
