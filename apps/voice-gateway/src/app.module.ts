import { Module } from '@nestjs/common';
import { ConfigModule } from '@nestjs/config';
import { CONFIG_NAMESPACES } from '@app/config';
import { CallRecordsModule } from '@app/call-records';
import { ConsoleModule } from '@app/console';
import { GatewayAdmission, OperationsModule } from '@app/operations';
import { CallOrchestrator, OrchestrationModule } from '@app/orchestration';
import { TwilioModule } from '@app/telephony';
import { ExampleToolsModule } from './example-tools/example-tools.module';
import { GatewayLoggerModule } from './logging';

@Module({
  imports: [
    ConfigModule.forRoot({ isGlobal: true, ignoreEnvFile: true, load: CONFIG_NAMESPACES }),
    GatewayLoggerModule,
    OrchestrationModule,
    OperationsModule,
    TwilioModule.forRoot({ imports: [OrchestrationModule, OperationsModule], handler: CallOrchestrator, admission: GatewayAdmission }),
    ExampleToolsModule,
    CallRecordsModule,
    ConsoleModule,
  ],
})
export class AppModule {}
