import type { CostEstimate, TokenUsage } from './call-record';
import type { ModelPrices } from './prices';

export function emptyUsage(): TokenUsage {
  return {
    responses: 0,
    inputTokens: 0,
    outputTokens: 0,
    totalTokens: 0,
    inputTextTokens: 0,
    inputAudioTokens: 0,
    cachedInputTokens: 0,
    cachedInputTextTokens: 0,
    cachedInputAudioTokens: 0,
    outputTextTokens: 0,
    outputAudioTokens: 0,
    transcription: { turns: 0, seconds: 0, inputTextTokens: 0, inputAudioTokens: 0, outputTokens: 0 },
  };
}

/** The models a call's cost is priced by; a model without prices (undefined) costs 0 and is named in `unpriced`. */
export interface CallPricing {
  model?: string;
  prices?: ModelPrices;
  transcriptionModel?: string;
  transcriptionPrices?: ModelPrices;
}

/**
 * Cost of a call at its own models' prices. Cached input tokens are part of the input tokens:
 * they are billed at the cached rates and taken off the text and audio input. Transcription is
 * billed at the transcription model's prices: per minute of audio, or per token.
 */
export function estimateCost(usage: TokenUsage, pricing: CallPricing): CostEstimate {
  const p = pricing.prices ?? {};
  const t = pricing.transcriptionPrices ?? {};
  const perToken = (pricePerMillion: number | undefined, tokens: number) => ((pricePerMillion ?? 0) * Math.max(0, tokens)) / 1_000_000;
  const transcribed = usage.transcription;
  const breakdown = {
    inputText: perToken(p.inputText, usage.inputTextTokens - usage.cachedInputTextTokens),
    inputAudio: perToken(p.inputAudio, usage.inputAudioTokens - usage.cachedInputAudioTokens),
    cachedInput: perToken(p.cachedInputText, usage.cachedInputTextTokens) + perToken(p.cachedInputAudio, usage.cachedInputAudioTokens),
    outputText: perToken(p.outputText, usage.outputTextTokens),
    outputAudio: perToken(p.outputAudio, usage.outputAudioTokens),
    transcription:
      ((t.audioMinute ?? 0) * transcribed.seconds) / 60 +
      perToken(t.inputText, transcribed.inputTextTokens) +
      perToken(t.inputAudio, transcribed.inputAudioTokens) +
      perToken(t.outputText, transcribed.outputTokens),
  };
  const round = (usd: number) => Math.round(usd * 1_000_000) / 1_000_000;
  const total = Object.values(breakdown).reduce((sum, usd) => sum + usd, 0);
  const unpriced = [
    ...(pricing.model && !pricing.prices && usage.responses > 0 ? [pricing.model] : []),
    ...(pricing.transcriptionModel && !pricing.transcriptionPrices && transcribed.turns > 0 ? [pricing.transcriptionModel] : []),
  ];
  return {
    currency: 'USD',
    total: round(total),
    breakdown: {
      inputText: round(breakdown.inputText),
      inputAudio: round(breakdown.inputAudio),
      cachedInput: round(breakdown.cachedInput),
      outputText: round(breakdown.outputText),
      outputAudio: round(breakdown.outputAudio),
      transcription: round(breakdown.transcription),
    },
    ...(unpriced.length > 0 ? { unpriced } : {}),
  };
}

/** Text-model tokens of one Responses API call (cached tokens are part of the input tokens). */
export interface TextUsage {
  inputTokens: number;
  cachedInputTokens: number;
  outputTokens: number;
}

/** What a text model's tokens cost at its prices (cached input at the cached rate); 0 without prices. */
export function textCost(usage: TextUsage, prices: ModelPrices | undefined): number {
  const p = prices ?? {};
  const perToken = (pricePerMillion: number | undefined, tokens: number) => ((pricePerMillion ?? 0) * Math.max(0, tokens)) / 1_000_000;
  const usd = perToken(p.inputText, usage.inputTokens - usage.cachedInputTokens) + perToken(p.cachedInputText, usage.cachedInputTokens) + perToken(p.outputText, usage.outputTokens);
  return Math.round(usd * 1_000_000) / 1_000_000;
}

/** The call's cost with the analysis's added (replacing an earlier analysis cost); an unpriced model is named in `unpriced`. */
export function withAnalysisCost(cost: CostEstimate, usd: number, unpricedModel?: string): CostEstimate {
  const previous = cost.breakdown.analysis ?? 0;
  const total = Math.round((cost.total - previous + usd) * 1_000_000) / 1_000_000;
  const unpriced = unpricedModel && !(cost.unpriced ?? []).includes(unpricedModel) ? [...(cost.unpriced ?? []), unpricedModel] : cost.unpriced;
  return { ...cost, total, breakdown: { ...cost.breakdown, analysis: usd }, ...(unpriced && unpriced.length > 0 ? { unpriced } : {}) };
}
