import {
  BadGatewayException,
  BadRequestException,
  Body,
  Controller,
  ForbiddenException,
  HttpCode,
  HttpException,
  HttpStatus,
  Inject,
  Post,
  Req,
  Res,
  ServiceUnavailableException,
  UseGuards,
  ValidationPipe,
} from '@nestjs/common';
import { ApiKeyGuard, apiKeyIdOf, ApiRateLimitGuard, CountsAsOutboundCall, RequireApiScope } from '@app/auth';
import { IdempotentRequests } from '@app/fleet';
import { CallContextTooLargeError, StreamCredentials, TwilioRestClient } from '@app/telephony';
import type { Request, Response } from 'express';
import { InjectPinoLogger, PinoLogger } from 'nestjs-pino';
import { ORCHESTRATION_OPTIONS } from '../orchestration.module-definition';
import type { OrchestrationModuleOptions } from '../orchestration.module-definition';
import { AssistantProfiles } from '../profiles/assistant-profiles.service';
import { CreateOutboundCallDto } from './create-outbound-call.dto';
import { countryOfNumber, DestinationPolicy } from './destination-policy';
import { OutboundCallSlots } from './outbound-call-slots';

const VARIABLE_NAME = /^[A-Za-z0-9_]{1,64}$/;
const MAX_VARIABLES = 32;
const MAX_VARIABLE_LENGTH = 1000;

/**
 * `POST /calls`: places a call through Twilio; when it is answered, the assistant runs as for an
 * inbound call, with the profile and variables it was placed with (sealed into the webhook URL, so
 * they reach whichever pod serves the stream). Needs an API key with the `calls` scope, is rate
 * limited per key, limited in concurrent calls per key, and dials only what the destination policy allows. An `Idempotency-Key`
 * header makes retries safe on any instance: one call is placed.
 */
@Controller('calls')
@UseGuards(ApiKeyGuard, ApiRateLimitGuard)
@RequireApiScope('calls')
export class OutboundCallsController {
  private readonly destinations: DestinationPolicy;
  private readonly maxConcurrentPerKey: number;

  constructor(
    private readonly twilio: TwilioRestClient,
    private readonly credentials: StreamCredentials,
    private readonly profiles: AssistantProfiles,
    private readonly slots: OutboundCallSlots,
    private readonly idempotency: IdempotentRequests,
    @Inject(ORCHESTRATION_OPTIONS) options: OrchestrationModuleOptions,
    @InjectPinoLogger(OutboundCallsController.name) private readonly logger: PinoLogger,
  ) {
    const { outbound } = options;
    const home = twilio.defaultFromNumber ? countryOfNumber(twilio.defaultFromNumber) : undefined;
    this.destinations = new DestinationPolicy({ allowedCountries: outbound.allowedCountries ?? (home ? [home] : []), allowedPrefixes: outbound.allowedPrefixes });
    this.maxConcurrentPerKey = outbound.maxConcurrentCallsPerKey;
  }

  /**
   * In this order: the API key and its `calls` scope, then the rate limits (guards); the request
   * itself (body, destination policy, call context size), so a refused request never takes an
   * idempotency key; the `Idempotency-Key` (a retry replays the first answer: no second slot, no
   * second call); the key's concurrency slot; then Twilio.
   */
  @Post()
  @HttpCode(201)
  @CountsAsOutboundCall()
  async create(
    @Body(new ValidationPipe({ whitelist: true, forbidNonWhitelisted: true })) body: CreateOutboundCallDto,
    @Req() request: Request,
    @Res({ passthrough: true }) response: Response,
  ): Promise<PlacedCall> {
    const order = this.validate(body, apiKeyIdOf(request) ?? 'unknown');
    return this.idempotency.run(request, response, () => this.place(order, request));
  }

  /** Everything about the request itself, before any key, slot or call is taken. */
  private validate(body: CreateOutboundCallDto, keyId: string): OutboundOrder {
    const from = body.from ?? this.twilio.defaultFromNumber;
    if (!from) throw new BadRequestException('from is required when TWILIO_PHONE_NUMBER is not set');
    const profile = body.profile ?? 'default';
    if (!this.profiles.has(profile)) throw new BadRequestException(`unknown profile "${profile}"; known: ${this.profiles.names().join(', ')}`);
    const variables = checkVariables(body.variables ?? {});
    const destination = this.destinations.check(body.to);
    if (!destination.allowed) {
      this.logger.warn({ reason: destination.reason }, 'outbound call refused by the destination policy');
      throw new ForbiddenException({ statusCode: 403, error: 'Forbidden', reason: destination.reason, message: destination.message });
    }
    let sealedContext: string;
    try {
      // The key rides along, so whichever pod serves the call keeps the key's slot for it.
      sealedContext = this.credentials.sealContext({ profile, variables, placedBy: keyId });
    } catch (error) {
      if (error instanceof CallContextTooLargeError) throw new BadRequestException(error.message);
      throw error;
    }
    if (!this.twilio.isConfigured) throw new ServiceUnavailableException('Twilio is not configured (TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN)');
    // Voicemail detection by Twilio: asynchronous AMD that waits for the end of a machine's greeting (the beep).
    const detection = this.profiles.voicemailOf(profile).detection;
    const asyncAmd = detection === 'twilio' || detection === 'both';
    return { keyId, to: body.to, from, profile, machineDetection: body.machineDetection, asyncAmd, sealedContext };
  }

  /** The key's concurrency slot, then the call itself. */
  private async place(order: OutboundOrder, request: Request): Promise<PlacedCall> {
    const slot = await this.slots.reserve(order.keyId, this.maxConcurrentPerKey);
    if (!slot) {
      throw new HttpException(`this API key already has ${this.maxConcurrentPerKey} outbound calls ringing or live (OUTBOUND_MAX_CONCURRENT_CALLS_PER_KEY)`, HttpStatus.TOO_MANY_REQUESTS);
    }
    let placed: { sid: string; status: string };
    try {
      // Twilio's status callback (folded into the call records) reconciles the call's timing.
      placed = await this.twilio.placeCall(
        { to: order.to, from: order.from, machineDetection: order.machineDetection, asyncAmd: order.asyncAmd, sealedContext: order.sealedContext },
        request,
      );
    } catch (error) {
      await slot.cancel();
      this.logger.warn({ err: { message: (error as Error).message } }, 'Twilio refused the outbound call');
      throw new BadGatewayException(`Twilio refused the call: ${(error as Error).message}`);
    }
    await slot.bind(placed.sid);
    this.logger.info({ callSid: placed.sid, profile: order.profile }, 'outbound call placed');
    return { callSid: placed.sid, status: placed.status, profile: order.profile };
  }
}

interface PlacedCall {
  callSid: string;
  status: string;
  profile: string;
}

/** A request that passed validation: what to dial, and the call context sealed for its webhook. */
interface OutboundOrder {
  /** The API key placing the call (its id). */
  keyId: string;
  to: string;
  from: string;
  profile: string;
  machineDetection?: CreateOutboundCallDto['machineDetection'];
  /** The profile detects voicemail with Twilio's asynchronous AMD. */
  asyncAmd: boolean;
  sealedContext: string;
}

function checkVariables(variables: Record<string, unknown>): Record<string, string> {
  const entries = Object.entries(variables);
  if (entries.length > MAX_VARIABLES) throw new BadRequestException(`variables: at most ${MAX_VARIABLES} entries`);
  for (const [name, value] of entries) {
    if (!VARIABLE_NAME.test(name)) throw new BadRequestException(`variables: name "${name.slice(0, 80)}" must match ${VARIABLE_NAME}`);
    if (typeof value !== 'string' || value.length > MAX_VARIABLE_LENGTH) {
      throw new BadRequestException(`variables.${name} must be a string of at most ${MAX_VARIABLE_LENGTH} characters`);
    }
  }
  return variables as Record<string, string>;
}
