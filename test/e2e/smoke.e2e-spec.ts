import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GatewayHarness, startGateway } from '../support/gateway-harness';

describe('smoke', () => {
  let gateway: GatewayHarness;
  beforeAll(async () => {
    gateway = await startGateway();
  });
  afterAll(async () => gateway.close());

  it('greets the caller', async () => {
    const call = gateway.newCall();
    await call.connect();
    await call.waitForAudio(800);
    const session = await gateway.simulator.nextSession(0);
    expect(session.eventsOfType('response.create')).toHaveLength(1);
    call.hangUp();
    await session.waitForClose(1000);
  });
});
