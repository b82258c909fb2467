import {
  BadRequestException,
  ConflictException,
  Controller,
  Delete,
  Get,
  HttpCode,
  Logger,
  NotFoundException,
  Param,
  Query,
  ServiceUnavailableException,
  UseGuards,
  ValidationPipe,
} from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiBearerAuth,
  ApiConflictResponse,
  ApiNoContentResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
  ApiUnauthorizedResponse,
} from '@nestjs/swagger';
import { ApiKeyGuard, ApiRateLimitGuard, RequireApiScope } from '@app/auth';
import { LiveCalls } from '@app/orchestration';
import { CallRecordWriter } from '../delivery/call-record.writer';
import { CallRecordRetention } from '../privacy/call-record-retention.service';
import type { CallRecord } from '../record/call-record';
import { CallRecordPage, CallRecordStore, twilioOnlyRecordingSid } from '../store/call-record.store';
import { ListCallsQuery } from './list-calls.query';

/** Twilio's final call statuses: a record still `in-progress` with one of these is of a call that is over. */
const FINAL_TWILIO_STATUSES = new Set(['completed', 'busy', 'failed', 'no-answer', 'canceled']);
const CALL_SID = /^[A-Za-z0-9_-]{1,64}$/;

/** Call records: read them, delete one (POST /calls belongs to the outbound controller). Needs the `records` scope. */
@ApiTags('call records')
@ApiBearerAuth()
@ApiUnauthorizedResponse({ description: 'Missing or unknown API key' })
@UseGuards(ApiKeyGuard, ApiRateLimitGuard)
@RequireApiScope('records')
@Controller('calls')
export class CallRecordsController {
  private readonly logger = new Logger(CallRecordsController.name);

  constructor(
    private readonly store: CallRecordStore,
    private readonly live: LiveCalls,
    private readonly retention: CallRecordRetention,
    private readonly writer: CallRecordWriter,
  ) {}

  @Get()
  @ApiOperation({ summary: 'List call records, newest first', description: 'Summaries (no transcript or tool calls); `total` counts every match.' })
  @ApiOkResponse({ description: '{ total, limit, offset, items: [record summary] }' })
  async list(@Query(new ValidationPipe({ transform: true, whitelist: true, forbidNonWhitelisted: true })) query: ListCallsQuery): Promise<CallRecordPage> {
    return this.read(() => this.store.list({ ...query, limit: query.limit ?? 50, offset: query.offset ?? 0 }));
  }

  @Get(':callSid')
  @ApiOperation({ summary: 'One call record: transcript, tool calls, usage, cost, Twilio status' })
  @ApiOkResponse({ description: 'The whole call record (format: docs/call-records.md)' })
  @ApiNotFoundResponse({ description: 'No record for this CallSid' })
  async get(@Param('callSid') callSid: string): Promise<CallRecord> {
    const record = await this.read(() => this.store.get(callSid));
    if (!record) throw new NotFoundException(`No call record for ${callSid}`);
    return record;
  }

  @Delete(':callSid')
  @RequireApiScope('erase')
  @HttpCode(204)
  @ApiOperation({
    summary: 'Delete a call record',
    description: "Deletes the record, its webhook deliveries still waiting in the outbox, and (when recordings are erased) the call's recording. Refused while the call is in progress.",
  })
  @ApiNoContentResponse({ description: 'Deleted' })
  @ApiBadRequestResponse({ description: 'Not a CallSid' })
  @ApiNotFoundResponse({ description: 'No record for this CallSid' })
  @ApiConflictResponse({ description: 'The call is in progress' })
  async remove(@Param('callSid') callSid: string): Promise<void> {
    if (!CALL_SID.test(callSid)) throw new BadRequestException('callSid must be 1–64 letters, digits, "_" or "-"');
    if (this.live.observed().some((call) => call.callSid === callSid)) throw new ConflictException(`The call ${callSid} is in progress: delete its record once it has ended`);
    const record = await this.read(() => this.store.get(callSid));
    // Without a record yet (its pod has not checkpointed it), Twilio's callbacks may still say the call was answered and has not ended.
    const twilio = record ? undefined : await this.read(() => this.store.twilioStatusOf(callSid));
    const inProgress = record ? record.status === 'in-progress' : twilio?.answeredAt !== undefined;
    if (inProgress && !FINAL_TWILIO_STATUSES.has((record ? record.twilio?.status : twilio?.status) ?? '')) {
      throw new ConflictException(`The call ${callSid} is in progress: delete its record once it has ended`);
    }
    const recording = await this.retention.eraseRecording(callSid, record, twilioOnlyRecordingSid(record, twilio));
    if (!recording.ok) throw new ServiceUnavailableException("The call's recording could not be erased; the record is kept, try again later");
    this.writer.discard(callSid);
    const deleted = await this.read(() => this.store.erase(callSid));
    if (!deleted) throw new NotFoundException(`No call record for ${callSid}`);
    this.logger.log(`deleted the call record of ${callSid}${recording.erased ? ' and its recording' : ''}`);
  }

  private async read<T>(query: () => Promise<T>): Promise<T> {
    try {
      return await query();
    } catch {
      throw new ServiceUnavailableException('Call records are temporarily unavailable');
    }
  }
}
