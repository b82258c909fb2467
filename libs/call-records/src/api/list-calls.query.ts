import { ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsIn, IsInt, IsISO8601, IsOptional, IsString, Max, MaxLength, Min } from 'class-validator';

export class ListCallsQuery {
  @ApiPropertyOptional({ description: 'Only calls started at or after this time (ISO-8601)', example: '2026-11-24T00:00:00Z' })
  @IsOptional() @IsISO8601({ strict: true })
  startedAfter?: string;

  @ApiPropertyOptional({ description: 'Only calls started before this time (ISO-8601)' })
  @IsOptional() @IsISO8601({ strict: true })
  startedBefore?: string;

  @ApiPropertyOptional({ description: 'Calls from or to this number (E.164)', example: '+15551230000' })
  @IsOptional() @IsString() @MaxLength(64)
  number?: string;

  @ApiPropertyOptional({ description: 'Calls from this number' })
  @IsOptional() @IsString() @MaxLength(64)
  from?: string;

  @ApiPropertyOptional({ description: 'Calls to this number' })
  @IsOptional() @IsString() @MaxLength(64)
  to?: string;

  @ApiPropertyOptional({ description: 'End reason, e.g. caller-hung-up, openai-failed, server-shutdown' })
  @IsOptional() @IsString() @MaxLength(64)
  endReason?: string;

  @ApiPropertyOptional({ enum: ['in-progress', 'completed'], description: 'in-progress: checkpoint of a live call' })
  @IsOptional() @IsIn(['in-progress', 'completed'])
  status?: 'in-progress' | 'completed';

  @ApiPropertyOptional({ minimum: 1, maximum: 200, default: 50 })
  @IsOptional() @Type(() => Number) @IsInt() @Min(1) @Max(200)
  limit?: number;

  @ApiPropertyOptional({ minimum: 0, default: 0 })
  @IsOptional() @Type(() => Number) @IsInt() @Min(0)
  offset?: number;
}
