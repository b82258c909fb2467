import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { OutboxMessage, OutboxStore } from '../../libs/call-records/src/outbox/outbox.store';
import type { CallRecordStore } from '../../libs/call-records/src/store/call-record.store';

type Store = CallRecordStore & OutboxStore;

export interface OutboxStoreUnderTest {
  store: Store;
  /** A second store on the same database: another instance of the gateway. */
  reopen(): Store;
  cleanup(): Promise<void>;
}

export const outboxMessage = (overrides: Partial<OutboxMessage> = {}): OutboxMessage => ({
  id: randomUUID(),
  type: 'call.record',
  destination: 'https://hooks.example.com/calls',
  signer: 'call-record',
  body: JSON.stringify({ callSid: 'CA1', text: 'Grüezi – “quoted” 📞' }),
  ...overrides,
});

const wait = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The behaviour every OutboxStore adapter must have; run once per adapter. */
export function outboxStoreContract(open: () => Promise<OutboxStoreUnderTest>): void {
  let subject: OutboxStoreUnderTest;
  let store: Store;
  let other: Store;
  beforeAll(async () => {
    subject = await open();
    store = subject.store;
    await store.migrate();
    other = subject.reopen();
  });
  afterAll(async () => {
    await other?.close();
    await store?.close();
    await subject?.cleanup();
  });
  /** Claims until nothing is due, so earlier tests' rows do not leak into the next. */
  const drain = async () => {
    for (let claimed = await store.claimDue(100, 60_000); claimed.length > 0; claimed = await store.claimDue(100, 60_000)) {
      for (const delivery of claimed) await store.delivered(delivery.id);
    }
  };

  it('keeps a message byte for byte and leases it to one claimer at a time, counting attempts', async () => {
    await drain();
    const message = outboxMessage();
    await store.enqueue(message);
    await store.enqueue({ ...message, body: 'a duplicate id is ignored' });
    const [claimed, ...rest] = await store.claimDue(10, 60_000);
    expect(rest).toEqual([]);
    expect(claimed).toMatchObject({ ...message, attempt: 1 });
    expect(await other.claimDue(10, 60_000)).toEqual([]);
    expect(await store.find(message.id)).toMatchObject({ status: 'pending', attempts: 1 });
    await store.delivered(message.id);
    expect(await store.find(message.id)).toBeUndefined();
  });

  it('lets another instance take over a message whose lease ran out (its claimer died)', async () => {
    await drain();
    const message = outboxMessage();
    await store.enqueue(message);
    expect(await store.claimDue(10, 150)).toHaveLength(1);
    expect(await other.claimDue(10, 60_000)).toEqual([]);
    await wait(250);
    const [retaken] = await other.claimDue(10, 60_000);
    expect(retaken).toMatchObject({ id: message.id, attempt: 2 });
    await other.delivered(message.id);
  });

  it('never gives one message to two instances claiming at the same moment', async () => {
    await drain();
    const ids = Array.from({ length: 12 }, () => randomUUID());
    for (const id of ids) await store.enqueue(outboxMessage({ id }));
    const [mine, theirs] = await Promise.all([store.claimDue(6, 60_000), other.claimDue(6, 60_000)]);
    const claimed = [...mine, ...theirs].map((d) => d.id);
    expect(new Set(claimed).size).toBe(claimed.length);
    const more = await store.claimDue(20, 60_000);
    expect(new Set([...claimed, ...more.map((d) => d.id)])).toEqual(new Set(ids));
    for (const id of ids) await store.delivered(id);
  });

  it('retries later with the error kept, gives up for good, and releases unattempted claims', async () => {
    await drain();
    const retried = outboxMessage();
    const failed = outboxMessage();
    const released = outboxMessage();
    for (const message of [retried, failed, released]) await store.enqueue(message);
    expect(await store.claimDue(10, 60_000)).toHaveLength(3);
    await store.retryLater(retried.id, 200, 'HTTP 503');
    await store.giveUp(failed.id, 'HTTP 410');
    await store.release([released.id]);
    const now = await other.claimDue(10, 60_000);
    expect(now.map((d) => [d.id, d.attempt])).toEqual([[released.id, 1]]);
    expect(await store.find(retried.id)).toMatchObject({ status: 'pending', lastError: 'HTTP 503' });
    expect(await store.find(failed.id)).toMatchObject({ status: 'failed', lastError: 'HTTP 410', attempts: 1 });
    await wait(300);
    const later = await store.claimDue(10, 60_000);
    expect(later.map((d) => [d.id, d.attempt])).toEqual([[retried.id, 2]]);
    await wait(50);
    expect(await store.claimDue(10, 60_000)).toEqual([]);
  });

  it('releases a claim for later without counting the attempt (another instance may handle it)', async () => {
    await drain();
    const message = outboxMessage();
    await store.enqueue(message);
    for (let claim = 0; claim < 3; claim++) {
      const [claimed] = await store.claimDue(10, 60_000);
      expect(claimed).toMatchObject({ id: message.id, attempt: 1 });
      await store.release([message.id], 200);
      expect(await other.claimDue(10, 60_000)).toEqual([]);
      expect(await store.find(message.id)).toMatchObject({ status: 'pending', attempts: 0 });
      await wait(250);
    }
    const [taken] = await other.claimDue(10, 60_000);
    expect(taken).toMatchObject({ id: message.id, attempt: 1 });
    await other.delivered(message.id);
  });
}
