import { Module } from '@nestjs/common';
import type { DynamicModule } from '@nestjs/common';
import { GatewayTracing } from './gateway-tracing.service';
import { TRACING_OPTIONS } from './tracing.module-definition';
import type { TracingModuleOptions } from './tracing-options';

/**
 * OpenTelemetry traces (GatewayTracing), global: any module may inject GatewayTracing to add
 * spans. Registered once by the application; off unless `enabled`.
 */
@Module({})
export class TracingModule {
  static forRoot(options: TracingModuleOptions): DynamicModule {
    return {
      module: TracingModule,
      global: true,
      providers: [
        { provide: TRACING_OPTIONS, useValue: options },
        {
          provide: GatewayTracing,
          inject: [TRACING_OPTIONS],
          useFactory: async (resolved: TracingModuleOptions) => {
            const tracing = new GatewayTracing(resolved);
            await tracing.start();
            return tracing;
          },
        },
      ],
      exports: [GatewayTracing],
    };
  }
}
