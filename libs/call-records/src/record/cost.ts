import type { CostEstimate, TokenUsage } from './call-record';

/** USD per million tokens, by kind, for call records' estimated cost. */
export interface TokenPrices {
  inputText: number;
  inputAudio: number;
  cachedInput: number;
  outputText: number;
  outputAudio: number;
}

export function emptyUsage(): TokenUsage {
  return {
    responses: 0,
    inputTokens: 0,
    outputTokens: 0,
    totalTokens: 0,
    inputTextTokens: 0,
    inputAudioTokens: 0,
    cachedInputTokens: 0,
    outputTextTokens: 0,
    outputAudioTokens: 0,
  };
}

/**
 * Cost from the price table. Cached tokens are part of the input tokens: they are billed at the
 * cached rate and taken off the text and audio input in proportion.
 */
export function estimateCost(usage: TokenUsage, prices: TokenPrices): CostEstimate {
  const input = usage.inputTextTokens + usage.inputAudioTokens;
  const cached = Math.min(usage.cachedInputTokens, input);
  const textShare = input === 0 ? 0 : usage.inputTextTokens / input;
  const perToken = (pricePerMillion: number, tokens: number) => (pricePerMillion * tokens) / 1_000_000;
  const breakdown = {
    inputText: perToken(prices.inputText, usage.inputTextTokens - cached * textShare),
    inputAudio: perToken(prices.inputAudio, usage.inputAudioTokens - cached * (1 - textShare)),
    cachedInput: perToken(prices.cachedInput, cached),
    outputText: perToken(prices.outputText, usage.outputTextTokens),
    outputAudio: perToken(prices.outputAudio, usage.outputAudioTokens),
  };
  const round = (usd: number) => Math.round(usd * 1_000_000) / 1_000_000;
  const total = Object.values(breakdown).reduce((sum, usd) => sum + usd, 0);
  return {
    currency: 'USD',
    total: round(total),
    breakdown: {
      inputText: round(breakdown.inputText),
      inputAudio: round(breakdown.inputAudio),
      cachedInput: round(breakdown.cachedInput),
      outputText: round(breakdown.outputText),
      outputAudio: round(breakdown.outputAudio),
    },
  };
}
