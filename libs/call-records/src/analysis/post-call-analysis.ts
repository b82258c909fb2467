import { Inject, Injectable, Logger } from '@nestjs/common';
import { Ajv, type ValidateFunction } from 'ajv';
import type { ResponseCreateParamsNonStreaming } from 'openai/resources/responses/responses';
import { openAiAuthHeaders } from '@app/realtime';
import { CALL_RECORDS_OPTIONS } from '../call-records.module-definition';
import { isRetryableStatus } from '../delivery/backoff';
import type { CallRecordsModuleOptions, ProfileAnalysisOptions } from '../call-records.module-definition';
import { OUTBOX_JOB_PREFIX, OUTBOX_JOB_SIGNER, OutboxJobs } from '../outbox/outbox-jobs';
import type { OutboxJob, OutboxOutcome } from '../outbox/outbox-jobs';
import { OutboxPublisher } from '../outbox/outbox-publisher';
import type { OutboxDelivery } from '../outbox/outbox.store';
import type { CallAnalysis, CallRecord } from '../record/call-record';
import { textCost, withAnalysisCost } from '../record/cost';
import type { TextUsage } from '../record/cost';
import { PriceList } from '../record/prices';
import { CallRecordStore } from '../store/call-record.store';
import { LifecycleWebhooks } from '../webhooks/lifecycle-webhooks';
import { AnalysisAnswerError, analysisRequest, readAnalysisAnswer } from './analysis-request';
import type { AnalysisAnswer } from './analysis-request';

/** The outbox job name (and message type) of post-call analyses. */
export const ANALYSIS_JOB = 'call.analysis';

/** A Responses API request that failed; `retryable`: a later attempt may succeed (network, timeout, 408, 429, 5xx). */
class AnalysisRequestError extends Error {
  constructor(
    message: string,
    readonly retryable: boolean,
  ) {
    super(message);
  }
}

/**
 * The post-call analysis (POST_CALL_ANALYSIS=on): once a call's record is final, a durable outbox
 * job (run by any instance, retried with backoff, surviving the instance that queued it) sends the
 * transcript to a text model through OpenAI's Responses API with a strict JSON schema (summary,
 * success, the profile's fields), stores the answer on the record with its cost, and sends
 * `call.analyzed`. The transcript goes to OpenAI only; it is never logged. When every attempt
 * fails, the record gets an analysis with `error` (and `call.analyzed` says so).
 */
@Injectable()
export class PostCallAnalysis implements OutboxJob {
  private readonly logger = new Logger(PostCallAnalysis.name);
  private readonly prices: PriceList;
  private readonly ajv = new Ajv({ allErrors: true, strict: false });
  private readonly validators = new Map<string, ValidateFunction>();
  /** Models already reported as having no prices (once each). */
  private readonly warnedUnpriced = new Set<string>();

  constructor(
    private readonly store: CallRecordStore,
    private readonly outbox: OutboxPublisher,
    jobs: OutboxJobs,
    private readonly webhooks: LifecycleWebhooks,
    @Inject(CALL_RECORDS_OPTIONS) private readonly config: CallRecordsModuleOptions,
  ) {
    this.prices = new PriceList(config.tokenPrices);
    if (config.analysis) jobs.register(ANALYSIS_JOB, this);
  }

  get enabled(): boolean {
    return this.config.analysis !== undefined;
  }

  /** Queues the analysis of a finished call when its profile is analysed and anything was said; returns the job id. */
  schedule(record: CallRecord): string | undefined {
    if (!this.config.analysis || this.profileOf(record)?.enabled === false) return undefined;
    if (!record.transcript.some((turn) => turn.text.trim() !== '')) return undefined;
    return this.outbox.publish({
      type: ANALYSIS_JOB,
      destination: OUTBOX_JOB_PREFIX + ANALYSIS_JOB,
      signer: OUTBOX_JOB_SIGNER,
      body: JSON.stringify({ callSid: record.callSid }),
    });
  }

  /** One attempt of the job: reads the final record, asks the model, stores the analysis, sends call.analyzed. */
  async run(delivery: OutboxDelivery, lastAttempt: boolean): Promise<OutboxOutcome> {
    const { callSid } = JSON.parse(delivery.body) as { callSid: string };
    const record = await this.store.get(callSid);
    if (!record || record.status !== 'completed') {
      const problem = `the record of ${callSid} is not written yet`;
      return lastAttempt ? { kind: 'give-up', problem } : { kind: 'retry', problem };
    }
    // An instance stored it and died before the job was done: only the webhook is left.
    if (record.analysis && !record.analysis.error) {
      this.announce(delivery, record.callSid, record.analysis);
      return { kind: 'delivered' };
    }
    const profile = this.profileOf(record);
    const model = profile?.model ?? this.config.analysis!.model;
    let answer: AnalysisAnswer;
    try {
      answer = await this.requestAnalysis(analysisRequest(record, model, profile?.instructions, profile?.schema));
      this.checkFields(record.assistantProfile, profile, answer);
    } catch (error) {
      const problem = error instanceof Error ? error.message : String(error);
      const retryable = error instanceof AnalysisRequestError ? error.retryable : !(error instanceof AnalysisAnswerError);
      if (retryable && !lastAttempt) return { kind: 'retry', problem };
      const failed: CallAnalysis = { model, summary: '', success: null, completedAt: new Date().toISOString(), error: problem };
      if (await this.save(record.callSid, failed, error instanceof AnalysisAnswerError ? error.usage : undefined)) this.announce(delivery, record.callSid, failed);
      return { kind: 'give-up', problem };
    }
    const analysis: CallAnalysis = {
      model,
      summary: answer.output.summary,
      success: answer.output.success,
      ...(profile?.schema ? { fields: answer.output.fields } : {}),
      completedAt: new Date().toISOString(),
    };
    if (await this.save(record.callSid, analysis, answer.usage)) this.announce(delivery, record.callSid, analysis);
    return { kind: 'delivered' };
  }

  /** One Responses API request (POST {apiBaseUrl}/responses), with the configured time limit. */
  private async requestAnalysis(request: ResponseCreateParamsNonStreaming): Promise<AnalysisAnswer> {
    const options = this.config.analysis!;
    const headers = { 'content-type': 'application/json', 'user-agent': 'voice-gateway-analysis', ...openAiAuthHeaders(options.apiKey, options.auth) };
    let response: Response;
    try {
      response = await fetch(`${options.apiBaseUrl}/responses`, {
        method: 'POST',
        headers,
        body: JSON.stringify(request),
        redirect: 'error',
        signal: AbortSignal.timeout(options.timeoutMs),
      });
    } catch (error) {
      const reason = error instanceof Error ? (error.cause instanceof Error ? error.cause.message : error.message) : String(error);
      throw new AnalysisRequestError(`the Responses API could not be reached: ${reason}`, true);
    }
    if (!response.ok) {
      const body = (await response.json().catch(() => undefined)) as { error?: { code?: string; message?: string } } | undefined;
      const detail = body?.error?.code ?? body?.error?.message?.slice(0, 200);
      const retryable = isRetryableStatus(response.status);
      throw new AnalysisRequestError(`the Responses API answered HTTP ${response.status}${detail ? ` (${detail})` : ''}`, retryable);
    }
    return readAnalysisAnswer((await response.json()) as Parameters<typeof readAnalysisAnswer>[0]);
  }

  /** With strict structured outputs the fields match the schema; checked anyway, so a record never holds what the schema forbids. */
  private checkFields(profileName: string, profile: ProfileAnalysisOptions | undefined, answer: AnalysisAnswer): void {
    if (!profile?.schema) return;
    let validate = this.validators.get(profileName);
    if (!validate) {
      validate = this.ajv.compile(profile.schema);
      this.validators.set(profileName, validate);
    }
    if (!validate(answer.output.fields)) {
      throw new AnalysisAnswerError(`the fields do not match the profile's schema (${this.ajv.errorsText(validate.errors, { dataVar: 'fields' })})`, answer.usage);
    }
  }

  /**
   * Stores the analysis on the record as it is now (a newer revision), with its tokens and cost.
   * Re-read first: the record may have been deleted (DELETE /calls/:sid) or its transcript purged
   * while the model was answering; then nothing is stored (false), so neither comes back.
   */
  private async save(callSid: string, analysis: CallAnalysis, usage: TextUsage | undefined): Promise<boolean> {
    const record = await this.store.get(callSid);
    if (!record || record.transcriptPurgedAt !== undefined) return false;
    const { twilio: _reconciled, ...stored } = record;
    const prices = this.prices.text(analysis.model);
    if (!prices && !this.warnedUnpriced.has(analysis.model)) {
      this.warnedUnpriced.add(analysis.model);
      this.logger.warn(`no prices for the analysis model "${analysis.model}": its cost counts as 0 (price it with TOKEN_PRICES_USD_PER_MILLION)`);
    }
    const cost = usage ? withAnalysisCost(record.cost, textCost(usage, prices), prices ? undefined : analysis.model) : record.cost;
    await this.store.save({
      ...stored,
      analysis,
      ...(usage ? { usage: { ...record.usage, analysis: usage } } : {}),
      cost,
      revision: record.revision + 1,
    });
    return true;
  }

  /** call.analyzed, with an id derived from the job's (a job run twice sends one webhook-id). */
  private announce(delivery: OutboxDelivery, callSid: string, analysis: CallAnalysis): void {
    if (!this.webhooks.wants('call.analyzed')) return;
    this.webhooks.publish('call.analyzed', { callSid, analysis }, Date.parse(analysis.completedAt), `${delivery.id}.analyzed`);
  }

  private profileOf(record: CallRecord): ProfileAnalysisOptions | undefined {
    const profiles = this.config.analysis?.profiles ?? {};
    return Object.hasOwn(profiles, record.assistantProfile) ? profiles[record.assistantProfile] : undefined;
  }
}
