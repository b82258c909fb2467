import { Controller, Get, NotFoundException, Param, Query, ServiceUnavailableException, UseGuards, ValidationPipe } from '@nestjs/common';
import { ApiBearerAuth, ApiNotFoundResponse, ApiOkResponse, ApiOperation, ApiTags, ApiUnauthorizedResponse } from '@nestjs/swagger';
import { ApiKeyGuard, ApiRateLimitGuard, RequireApiScope } from '@app/auth';
import type { CallRecord } from '../record/call-record';
import { CallRecordPage, CallRecordStore } from '../store/call-record.store';
import { ListCallsQuery } from './list-calls.query';

/** Read-only access to call records (GET only: other controllers own other verbs on /calls). Needs the `records` scope. */
@ApiTags('call records')
@ApiBearerAuth()
@ApiUnauthorizedResponse({ description: 'Missing or unknown API key' })
@UseGuards(ApiKeyGuard, ApiRateLimitGuard)
@RequireApiScope('records')
@Controller('calls')
export class CallRecordsController {
  constructor(private readonly store: CallRecordStore) {}

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

  private async read<T>(query: () => Promise<T>): Promise<T> {
    try {
      return await query();
    } catch {
      throw new ServiceUnavailableException('Call records are temporarily unavailable');
    }
  }
}
