/**
 * USD list prices of one model. Realtime and token-priced transcription models: per million
 * tokens by kind (cached input tokens are billed at the cached rates). Transcription models priced
 * by duration: per minute of audio. A kind left out costs 0.
 */
export interface ModelPrices {
  inputText?: number;
  inputAudio?: number;
  cachedInputText?: number;
  cachedInputAudio?: number;
  outputText?: number;
  outputAudio?: number;
  /** Per minute of transcribed audio (`gpt-transcribe`, `gpt-realtime-whisper`, …). */
  audioMinute?: number;
}

export const PRICE_KINDS: ReadonlyArray<keyof ModelPrices> = ['inputText', 'inputAudio', 'cachedInputText', 'cachedInputAudio', 'outputText', 'outputAudio', 'audioMinute'];

const GPT_REALTIME_2: ModelPrices = { inputText: 4, cachedInputText: 0.4, outputText: 24, inputAudio: 32, cachedInputAudio: 0.4, outputAudio: 64 };
const GPT_REALTIME_1: ModelPrices = { inputText: 4, cachedInputText: 0.4, outputText: 16, inputAudio: 32, cachedInputAudio: 0.4, outputAudio: 64 };
const GPT_REALTIME_MINI: ModelPrices = { inputText: 0.6, cachedInputText: 0.06, outputText: 2.4, inputAudio: 10, cachedInputAudio: 0.3, outputAudio: 20 };

/**
 * OpenAI's list prices of the models a call can use (December 2026). Dated snapshots
 * (`gpt-realtime-2.1-2026-…`) are priced as their model. Models that are not here (an Azure
 * deployment, a newer model) cost 0 and are named in the record's `cost.unpriced`, unless
 * TOKEN_PRICES_USD_PER_MILLION prices them.
 */
export const MODEL_PRICES: Readonly<Record<string, ModelPrices>> = {
  'gpt-realtime-2.1': GPT_REALTIME_2,
  'gpt-realtime-2.1-mini': GPT_REALTIME_MINI,
  'gpt-realtime-2': GPT_REALTIME_2,
  'gpt-realtime-1.5': GPT_REALTIME_1,
  // Deprecated: shut down on 2027-01-20.
  'gpt-realtime': GPT_REALTIME_1,
  'gpt-realtime-mini': GPT_REALTIME_MINI,
  // Transcription, per minute of audio.
  'gpt-transcribe': { audioMinute: 0.0045 },
  'gpt-live-transcribe': { audioMinute: 0.017 },
  'gpt-realtime-whisper': { audioMinute: 0.017 },
  // Deprecated transcription models: shut down on 2027-02-26.
  'whisper-1': { audioMinute: 0.006 },
  'gpt-4o-transcribe': { inputText: 2.5, inputAudio: 6, outputText: 10 },
  'gpt-4o-mini-transcribe': { inputText: 1.25, inputAudio: 3, outputText: 5 },
  // Text models of the post-call analysis (Responses API), per million tokens.
  'gpt-5.5': { inputText: 5, cachedInputText: 0.5, outputText: 30 },
  'gpt-5.4': { inputText: 2.5, cachedInputText: 0.25, outputText: 15 },
  'gpt-5.4-mini': { inputText: 0.75, cachedInputText: 0.075, outputText: 4.5 },
};

/** TOKEN_PRICES_USD_PER_MILLION: one price set for every Realtime model, or price sets by model. */
export interface PriceOverrides {
  /** Replaces the table for every Realtime model (the transcription models keep theirs). */
  allRealtimeModels?: ModelPrices;
  /** Replaces the table's entry of these models (Realtime or transcription), or adds one. */
  byModel?: Readonly<Record<string, ModelPrices>>;
}

/** A model id's dated snapshot suffix, e.g. `-2025-08-28`. */
const SNAPSHOT = /-\d{4}-\d{2}-\d{2}$/;

/** The prices the records use: the table, with the configured overrides over it. */
export class PriceList {
  constructor(
    private readonly overrides: PriceOverrides = {},
    private readonly table: Readonly<Record<string, ModelPrices>> = MODEL_PRICES,
  ) {}

  /** The prices of a Realtime model; undefined: not priced. */
  realtime(model: string): ModelPrices | undefined {
    return this.byModel(model) ?? this.overrides.allRealtimeModels ?? this.fromTable(model);
  }

  /** The prices of a transcription model; undefined: not priced. */
  transcription(model: string): ModelPrices | undefined {
    return this.byModel(model) ?? this.fromTable(model);
  }

  /** The prices of a text model (the post-call analysis); undefined: not priced. */
  text(model: string): ModelPrices | undefined {
    return this.byModel(model) ?? this.fromTable(model);
  }

  private byModel(model: string): ModelPrices | undefined {
    const byModel = this.overrides.byModel;
    if (!byModel) return undefined;
    return own(byModel, model) ?? own(byModel, model.replace(SNAPSHOT, ''));
  }

  private fromTable(model: string): ModelPrices | undefined {
    return own(this.table, model) ?? own(this.table, model.replace(SNAPSHOT, ''));
  }
}

function own(prices: Readonly<Record<string, ModelPrices>>, model: string): ModelPrices | undefined {
  return Object.hasOwn(prices, model) ? prices[model] : undefined;
}
