import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import type { CallRecord } from '@app/call-records';
import { CALL_RECORDING_ERASER, CallRecordRetention, CallRecordStore } from '@app/call-records';
import type { CallRecordingEraser } from '@app/call-records';
import { GatewayMetrics } from '@app/operations';
import { CallEvents, LiveCalls } from '@app/orchestration';
import { mulawTone } from '@app/simulators';
import { record as storedRecord } from '../support/call-record-store.contract';
import { GatewayHarness, startGateway } from '../support/gateway-harness';
import { dropSchema, requirePostgres, TEST_DATABASE_URL, uniqueSchema } from '../support/postgres';
import { metricValue } from '../support/prometheus';
import { completedRecord } from '../support/call-records-api';

const RECORDS_KEY = 'privacy-records-key-0123456789';
const CALLS_KEY = 'privacy-calls-key-0123456789ab';
const READ_ONLY_KEY = 'privacy-read-only-key-0123456';
const API_KEYS = `${RECORDS_KEY}:records+erase,${CALLS_KEY}:calls,${READ_ONLY_KEY}:records`;
const DAY_MS = 86_400_000;

/** A recording eraser that fails its first attempt (as Twilio's API may), then succeeds. */
const erasures: Array<{ callSid: string; recordingSid: string }> = [];
let eraserFailuresLeft = 0;
const eraser: CallRecordingEraser = {
  async erase(callSid, recordingSid) {
    if (eraserFailuresLeft-- > 0) throw new Error('Twilio answered 503');
    erasures.push({ callSid, recordingSid });
  },
};

function api(gateway: GatewayHarness, path: string, init: RequestInit & { key?: string } = {}): Promise<Response> {
  const { key = RECORDS_KEY, ...rest } = init;
  return fetch(`${gateway.httpUrl}${path}`, { ...rest, headers: key ? { authorization: `Bearer ${key}` } : {} });
}

/** A call in which the caller and the assistant say personal data and a tool gets some; hung up. */
async function callWithPersonalData(gateway: GatewayHarness, callSid: string): Promise<void> {
  const call = gateway.newCall({ callSid, customParameters: { From: '+15551230000', To: '+15559870000' } });
  await call.connect();
  const session = await gateway.simulator.nextSession(gateway.simulator.sessions.length);
  await session.waitForClientEvent('session.update');
  await vi.waitFor(() => expect(session.isOpen && gateway.app.get(LiveCalls).observed().some((c) => c.callSid === callSid)).toBe(true));
  session.startSpeech();
  session.stopSpeech({ respond: false, transcript: 'My card is 4111 1111 1111 1111 and my e-mail is ada@example.com, at 10:30.' });
  await session.respond({ audio: mulawTone(300, 400), text: 'Thanks, I will call you back on +44 20 7946 0958 for the $25.50.' }).finished;
  const live = gateway.app.get(LiveCalls).observed().find((c) => c.callSid === callSid)!;
  gateway.app.get(CallEvents).emit('toolCalled', live, {
    name: 'book_callback',
    arguments: '{"phone":"(555) 123-4567","slot":"10:30"}',
    result: { confirmation: 'sent to ada@example.com' },
    startedAt: Date.now() - 20,
    durationMs: 20,
  });
  await call.waitForAudio(8 * 300, 5000);
  // While the call is live, its record cannot be deleted.
  expect((await api(gateway, `/calls/${callSid}`, { method: 'DELETE' })).status).toBe(409);
  call.hangUp();
}

describe('privacy controls', () => {
  const schema = uniqueSchema('privacy_e2e');
  let gateway: GatewayHarness | undefined;

  beforeAll(async () => {
    await requirePostgres();
  });
  afterEach(async () => {
    await gateway?.close();
    gateway = undefined;
  });
  afterAll(async () => {
    await dropSchema(schema);
  });

  it('redacts stored turns and tool calls, purges old transcripts keeping the cost, and deletes records with the right scope', async () => {
    gateway = await startGateway(
      {
        API_KEYS,
        DATABASE_URL: TEST_DATABASE_URL,
        DATABASE_SCHEMA: schema,
        TRANSCRIPT_REDACTION: 'all',
        CALL_RECORD_RETENTION_DAYS: '30',
        ASSISTANT_GREETING: '',
      },
      { autoRespond: false },
      // In place of the gateway's own eraser (Twilio's REST API): one that fails when told to.
      { override: (builder) => builder.overrideProvider(CALL_RECORDING_ERASER).useValue(eraser) },
    );
    const callSid = 'CA' + 'privacy1'.padEnd(32, '0');
    await callWithPersonalData(gateway, callSid);

    const record = await completedRecord(gateway, callSid, RECORDS_KEY, 8000);
    expect(record.redaction).toEqual({ applied: ['card', 'email', 'phone'] });
    expect(record.transcript.map((turn) => [turn.role, turn.text])).toEqual([
      ['caller', 'My card is [card] and my e-mail is [email], at 10:30.'],
      ['assistant', 'Thanks, I will call you back on [phone] for the $25.50.'],
    ]);
    expect(record.toolCalls[0]).toMatchObject({ name: 'book_callback', arguments: { phone: '[phone]', slot: '10:30' }, result: { confirmation: 'sent to [email]' } });
    expect(JSON.stringify(record)).not.toMatch(/4111|ada@example|7946|123-4567/);

    // The retention job: nothing is 30 days old yet; 31 days on, the transcript goes, the cost stays.
    const retention = gateway.app.get(CallRecordRetention);
    expect((await retention.run()).purged).toBe(0);
    // An old record with a recording: the eraser fails once (the record is kept for the next run), then succeeds.
    const store = gateway.app.get(CallRecordStore);
    const oldSid = 'CA' + 'recorded'.padEnd(32, '0');
    await store.save({ ...storedRecord(oldSid, { startedAt: '2020-01-01T00:00:00.000Z' }), recording: { sid: 'RE' + '1'.padEnd(32, '0'), url: 'https://api.twilio.com/x', channels: 1, status: 'completed' } } as CallRecord);
    eraserFailuresLeft = 1;
    const first = await retention.run();
    expect(first).toMatchObject({ purged: 0, deferred: 1 });
    expect((await store.get(oldSid))!.transcript).toHaveLength(2);

    // A recorded call whose record never came (its pod died first): only Twilio's recording callback wrote its row.
    const lostSid = 'CA' + 'lostrecord'.padEnd(32, '0');
    const lostRecording = 'RE' + 'lost'.padEnd(32, '0');
    await gateway.postWebhook('/twilio/recording-status', { CallSid: lostSid, RecordingSid: lostRecording, RecordingUrl: 'https://api.twilio.com/r', RecordingStatus: 'completed', RecordingChannels: '2' });

    const later = Date.now() + 31 * DAY_MS;
    const second = await retention.run(later);
    expect(second).toMatchObject({ purged: 3, deferred: 0, recordingsErased: 2 });
    expect(erasures).toEqual(expect.arrayContaining([{ callSid: oldSid, recordingSid: 'RE' + '1'.padEnd(32, '0') }, { callSid: lostSid, recordingSid: lostRecording }]));
    expect(erasures).toHaveLength(2);
    const purged = await completedRecord(gateway, callSid, RECORDS_KEY, 8000);
    expect(purged.transcript).toEqual([]);
    expect(purged.toolCalls).toEqual([{ name: 'book_callback', arguments: null, startedAt: record.toolCalls[0].startedAt, durationMs: 20 }]);
    expect(purged.transcriptPurgedAt).toBeDefined();
    expect(purged.usage).toEqual(record.usage);
    expect(purged.cost).toEqual(record.cost);
    expect(purged.startedAt).toBe(record.startedAt);
    expect(((await store.get(oldSid)) as CallRecord & { recording: { deletedAt?: string } }).recording.deletedAt).toBeDefined();
    // Idempotent: a second run (on this or another instance) finds nothing left.
    expect((await retention.run(later)).purged).toBe(0);
    const metrics = await gateway.app.get(GatewayMetrics).scrape();
    expect(metricValue(metrics, 'voice_gateway_call_records_purged_total', { scope: 'transcript' })).toBe(3);
    expect(metricValue(metrics, 'voice_gateway_call_record_retention_failures_total', { kind: 'recording' })).toBe(1);

    // DELETE /calls/:sid: the `erase` scope only (a key that may read records may not delete them).
    expect((await api(gateway, `/calls/${callSid}`, { method: 'DELETE', key: '' })).status).toBe(401);
    expect((await api(gateway, `/calls/${callSid}`, { method: 'DELETE', key: CALLS_KEY })).status).toBe(403);
    expect((await api(gateway, `/calls/${callSid}`, { method: 'DELETE', key: READ_ONLY_KEY })).status).toBe(403);
    expect((await api(gateway, `/calls/${callSid}`, { key: READ_ONLY_KEY })).status).toBe(200);
    expect((await api(gateway, `/calls/not%20a%20sid`, { method: 'DELETE' })).status).toBe(400);
    expect((await api(gateway, `/calls/${callSid}`, { method: 'DELETE' })).status).toBe(204);
    expect((await api(gateway, `/calls/${callSid}`)).status).toBe(404);
    expect((await api(gateway, `/calls/${callSid}`, { method: 'DELETE' })).status).toBe(404);
    expect((await api(gateway, `/calls/${oldSid}`)).status).toBe(200);

    // Twilio's callbacks after the deletion bring nothing back; a recording reported now is erased at once.
    const erasedBefore = erasures.length;
    const lateSid = 'RE' + 'late'.padEnd(32, '0');
    const late = await gateway.postWebhook('/twilio/recording-status', { CallSid: callSid, RecordingSid: lateSid, RecordingUrl: 'https://api.twilio.com/r', RecordingStatus: 'completed', RecordingChannels: '2' });
    expect(late.status).toBe(204);
    expect(erasures.slice(erasedBefore)).toEqual([{ callSid, recordingSid: lateSid }]);
    expect((await gateway.postWebhook('/twilio/call-status', { CallSid: callSid, CallStatus: 'completed', CallDuration: '9' })).status).toBe(204);
    const left = (await gateway.app.get(CallRecordStore).expired('2999-01-01T00:00:00.000Z', 'record', 500)).find((row) => row.callSid === callSid);
    expect(left).toEqual({ callSid });
    expect((await api(gateway, `/calls/${callSid}`)).status).toBe(404);

    // A call whose record no pod has written yet, known only from Twilio's callbacks: answered and
    // not over, it cannot be deleted; over, its deletion erases the recording Twilio reported.
    const orphanSid = 'CA' + 'orphan'.padEnd(32, '0');
    expect((await gateway.postWebhook('/twilio/call-status', { CallSid: orphanSid, CallStatus: 'in-progress' })).status).toBe(204);
    expect((await api(gateway, `/calls/${orphanSid}`, { method: 'DELETE' })).status).toBe(409);
    const orphanRecording = 'RE' + 'orphan'.padEnd(32, '0');
    await gateway.postWebhook('/twilio/recording-status', { CallSid: orphanSid, RecordingSid: orphanRecording, RecordingUrl: 'https://api.twilio.com/r', RecordingStatus: 'completed', RecordingChannels: '2' });
    await gateway.postWebhook('/twilio/call-status', { CallSid: orphanSid, CallStatus: 'completed', CallDuration: '30' });
    const erasedBeforeOrphan = erasures.length;
    expect((await api(gateway, `/calls/${orphanSid}`, { method: 'DELETE' })).status).toBe(204);
    expect(erasures.slice(erasedBeforeOrphan)).toEqual([{ callSid: orphanSid, recordingSid: orphanRecording }]);
  });

  it('with the record scope, the retention job deletes whole rows', async () => {
    gateway = await startGateway({ API_KEYS, TRANSCRIPT_REDACTION: 'off', CALL_RECORD_RETENTION_DAYS: '7', CALL_RECORD_RETENTION_SCOPE: 'record', ASSISTANT_GREETING: '' }, { autoRespond: false });
    const callSid = 'CA' + 'privacy2'.padEnd(32, '0');
    await callWithPersonalData(gateway, callSid);
    const record = await completedRecord(gateway, callSid, RECORDS_KEY, 8000);
    expect(record.redaction).toBeUndefined();
    expect(record.transcript[0].text).toContain('4111 1111 1111 1111');

    const retention = gateway.app.get(CallRecordRetention);
    expect((await retention.run(Date.now() + 6 * DAY_MS)).purged).toBe(0);
    expect((await retention.run(Date.now() + 8 * DAY_MS)).purged).toBe(1);
    expect((await api(gateway, `/calls/${callSid}`)).status).toBe(404);
    expect((await api(gateway, '/calls').then((r) => r.json()) as { total: number }).total).toBe(0);
  });
});
