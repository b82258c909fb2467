import { DynamicModule, Module } from '@nestjs/common';
import { ConfigModule } from '@nestjs/config';
import { ThrottlerModule } from '@nestjs/throttler';
import { apiRateLimits, AuthModule } from '@app/auth';
import { CallRecordsModule, TwilioStatusRecorder } from '@app/call-records';
import type { GatewayConfig } from '@app/config';
import { ConsoleModule } from '@app/console';
import { FleetModule, FleetThrottlerStorage } from '@app/fleet';
import { FleetStreamClaims, GatewayAdmission, OperationsModule } from '@app/operations';
import { AnsweringMachineRouter, CallOrchestrator, OrchestrationModule, RecordingDisclosure, WarmTransfers } from '@app/orchestration';
import { TwilioModule } from '@app/telephony';
import { TracingModule } from '@app/tracing';
import { EmbeddedRealtimeSimulatorModule, realtimeModule } from './embedded-realtime-simulator';
import { ExampleToolsModule } from './example-tools/example-tools.module';
import { gatewayLoggerModule } from './logging';
import { TwilioRecordingEraserModule } from './recording-eraser';
import { gatewaySigningKeys } from './signing-keys';
import { TracingWiringModule } from './tracing';

/**
 * The gateway: every library module, wired once from one validated configuration
 * (`loadGatewayConfig()`). Add your own modules (tools, observers) to `imports`.
 */
@Module({})
export class AppModule {
  static forRoot(config: GatewayConfig): DynamicModule {
    const { tracing, ...operationsOptions } = config.operations;
    const operations = OperationsModule.forRoot(operationsOptions);
    const callRecords = CallRecordsModule.forRoot(config.callRecords);
    // One secret, one key per purpose: what one pod signs, every pod sharing the secret accepts.
    const keys = gatewaySigningKeys(config);
    return {
      module: AppModule,
      imports: [
        // Traces of every call and webhook delivery, only when tracing is on (OTEL_EXPORTER_OTLP_ENDPOINT, OTEL_TRACES_EXPORTER).
        TracingModule.forRoot(tracing),
        TracingWiringModule,
        EmbeddedRealtimeSimulatorModule,
        // The sections, for integrators who prefer ConfigService (e.g. `config.get('telephony')`); never process.env.
        ConfigModule.forRoot({ isGlobal: true, ignoreEnvFile: true, validatePredefined: false, skipProcessEnv: true, load: [() => ({ ...config })] }),
        gatewayLoggerModule(config.server),
        FleetModule.forRoot(config.fleet),
        AuthModule.forRoot({ apiKeys: config.auth.apiKeys }),
        // Rate limits of the API, per API key, counted fleet-wide in Redis (in this process without it, or while it is down).
        ThrottlerModule.forRootAsync({
          inject: [FleetThrottlerStorage],
          useFactory: (storage: FleetThrottlerStorage) => ({
            throttlers: apiRateLimits({ requestsPerMinute: config.auth.rateLimitPerMinute, outboundCallsPerMinute: config.outbound.callsPerMinute }),
            errorMessage: 'Too many requests for this API key: rate limit exceeded (see Retry-After)',
            storage,
          }),
        }),
        realtimeModule(config),
        OrchestrationModule.forRoot({ assistant: config.assistant, agent: config.agent, outbound: config.outbound }),
        operations,
        TwilioModule.forRoot({
          ...config.telephony,
          keys: { streamToken: keys['stream-token'], softphoneToken: keys['softphone-token'], callContext: keys['call-context'], transferTicket: keys['transfer-ticket'] },
          handler: CallOrchestrator,
          admission: GatewayAdmission,
          callStatus: TwilioStatusRecorder,
          // Twilio's AnsweredBy goes to the instance holding the call's stream; the recording disclosure is said before the stream.
          answeringMachine: AnsweringMachineRouter,
          disclosure: RecordingDisclosure,
          // The human legs' callbacks of warm transfers, resolved on the pod holding the call (fleet bus).
          warmTransfers: WarmTransfers,
          // Stream tokens used once, and one live stream per CallSid, across the fleet (in this process without Redis).
          claims: config.fleet.redisUrl ? FleetStreamClaims : undefined,
          imports: [operations, callRecords],
        }),
        ExampleToolsModule,
        callRecords,
        TwilioRecordingEraserModule,
        ConsoleModule.forRoot({ ...config.console, tokenKey: keys['console-token'], redaction: config.callRecords.redaction }),
      ],
    };
  }
}
