import {
  BadGatewayException,
  BadRequestException,
  Body,
  Controller,
  HttpCode,
  Post,
  Req,
  ServiceUnavailableException,
  UseGuards,
  UseInterceptors,
  ValidationPipe,
} from '@nestjs/common';
import { ApiKeyGuard } from '@app/auth';
import { IdempotencyInterceptor } from '@app/fleet';
import { TwilioRestClient } from '@app/telephony';
import type { Request } from 'express';
import { InjectPinoLogger, PinoLogger } from 'nestjs-pino';
import { AssistantProfiles } from '../profiles/assistant-profiles.service';
import { CreateOutboundCallDto } from './create-outbound-call.dto';
import { OutboundCallRegistry } from './outbound-call-registry.service';

const VARIABLE_NAME = /^[A-Za-z0-9_]{1,64}$/;
const MAX_VARIABLES = 32;
const MAX_VARIABLE_LENGTH = 1000;

/**
 * `POST /calls`: places a call through Twilio; when it is answered, the assistant runs as for an
 * inbound call. An `Idempotency-Key` header makes retries safe on any instance: one call is placed.
 */
@Controller('calls')
@UseGuards(ApiKeyGuard)
export class OutboundCallsController {
  constructor(
    private readonly twilio: TwilioRestClient,
    private readonly profiles: AssistantProfiles,
    private readonly outbound: OutboundCallRegistry,
    @InjectPinoLogger(OutboundCallsController.name) private readonly logger: PinoLogger,
  ) {}

  @Post()
  @HttpCode(201)
  @UseInterceptors(IdempotencyInterceptor)
  async create(
    @Body(new ValidationPipe({ whitelist: true, forbidNonWhitelisted: true })) body: CreateOutboundCallDto,
    @Req() request: Request,
  ): Promise<{ callSid: string; status: string; profile: string }> {
    const from = body.from ?? this.twilio.defaultFromNumber;
    if (!from) throw new BadRequestException('from is required when TWILIO_PHONE_NUMBER is not set');
    const profile = body.profile ?? 'default';
    if (!this.profiles.has(profile)) throw new BadRequestException(`unknown profile "${profile}"; known: ${this.profiles.names().join(', ')}`);
    const variables = checkVariables(body.variables ?? {});
    if (!this.twilio.isConfigured) throw new ServiceUnavailableException('Twilio is not configured (TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN)');
    let placed: { sid: string; status: string };
    try {
      // Twilio's status callback (folded into the call records) reconciles the call's timing.
      placed = await this.twilio.placeCall({ to: body.to, from, machineDetection: body.machineDetection }, request);
    } catch (error) {
      this.logger.warn({ err: { message: (error as Error).message } }, 'Twilio refused the outbound call');
      throw new BadGatewayException(`Twilio refused the call: ${(error as Error).message}`);
    }
    this.outbound.remember(placed.sid, { profile, variables });
    this.logger.info({ callSid: placed.sid, profile }, 'outbound call placed');
    return { callSid: placed.sid, status: placed.status, profile };
  }
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
