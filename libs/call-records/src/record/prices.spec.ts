import { describe, expect, it } from 'vitest';
import { deprecatedModels, realtimeSessionModels } from '../../../../test/support/openai-package-models';
import { PriceList } from './prices';

describe('PriceList', () => {
  it("prices every current Realtime model the openai package names, and the deprecated ones while they run", () => {
    const prices = new PriceList();
    const deprecated = deprecatedModels();
    // Dated snapshots are priced as their model; the shut-down previews and the gpt-audio (Chat Completions) models are not Realtime session models we run.
    const models = realtimeSessionModels().filter((model) => model.startsWith('gpt-realtime') && !/-\d{4}-\d{2}-\d{2}$/.test(model));
    expect(models).toEqual(expect.arrayContaining(['gpt-realtime-2.1', 'gpt-realtime-2.1-mini', 'gpt-realtime-2', 'gpt-realtime-1.5', 'gpt-realtime', 'gpt-realtime-mini']));
    for (const model of models) expect(prices.realtime(model), model).toBeDefined();
    expect(models.filter((model) => !deprecated.has(model)).sort()).toEqual(['gpt-realtime-1.5', 'gpt-realtime-2', 'gpt-realtime-2.1', 'gpt-realtime-2.1-mini']);
  });

  it('has the list prices of the current models', () => {
    const prices = new PriceList();
    expect(prices.realtime('gpt-realtime-2.1')).toEqual({ inputText: 4, cachedInputText: 0.4, outputText: 24, inputAudio: 32, cachedInputAudio: 0.4, outputAudio: 64 });
    expect(prices.realtime('gpt-realtime-2.1-mini')).toEqual({ inputText: 0.6, cachedInputText: 0.06, outputText: 2.4, inputAudio: 10, cachedInputAudio: 0.3, outputAudio: 20 });
    expect(prices.transcription('gpt-transcribe')).toEqual({ audioMinute: 0.0045 });
    // The post-call analysis's text models.
    expect(prices.text('gpt-5.4-mini')).toEqual({ inputText: 0.75, cachedInputText: 0.075, outputText: 4.5 });
    expect(prices.text('gpt-5.4-2026-03-05')).toEqual({ inputText: 2.5, cachedInputText: 0.25, outputText: 15 });
    expect(new PriceList({ byModel: { 'my-text-deployment': { inputText: 1 } } }).text('my-text-deployment')).toEqual({ inputText: 1 });
  });

  it('prices dated snapshots as their model and knows nothing of other names', () => {
    const prices = new PriceList();
    expect(prices.realtime('gpt-realtime-2025-08-28')).toEqual(prices.realtime('gpt-realtime'));
    expect(prices.realtime('my-azure-deployment')).toBeUndefined();
    expect(prices.realtime('constructor')).toBeUndefined();
  });

  it('lets one set replace every Realtime model, or sets by model replace their entries (transcription keeps the table)', () => {
    const all = new PriceList({ allRealtimeModels: { inputAudio: 1 } });
    expect(all.realtime('gpt-realtime-2.1')).toEqual({ inputAudio: 1 });
    expect(all.transcription('gpt-transcribe')).toEqual({ audioMinute: 0.0045 });
    const byModel = new PriceList({ byModel: { 'my-azure-deployment': { outputAudio: 70 }, 'gpt-realtime-2.1': { outputAudio: 1 } } });
    expect(byModel.realtime('my-azure-deployment')).toEqual({ outputAudio: 70 });
    expect(byModel.realtime('gpt-realtime-2.1-2026-12-01')).toEqual({ outputAudio: 1 });
    expect(byModel.realtime('gpt-realtime-2.1-mini')).toMatchObject({ inputAudio: 10 });
  });
});
