import { Module } from '@nestjs/common';
import { ApiKeyGuard } from './api-key.guard';
import { AUTH_OPTIONS, ConfigurableAuthModule } from './auth.module-definition';

/**
 * The gateway's API keys: `AuthModule.forRoot({ apiKeys })` (or `forRootAsync`) once in the
 * application module; any controller can then use `@UseGuards(ApiKeyGuard)` (Nest builds the
 * guard in the controller's module, hence the exported options). `ApiRateLimitGuard` needs
 * `ThrottlerModule.forRoot` (global) with the API_RATE_LIMITS throttlers in the application.
 */
@Module({ providers: [ApiKeyGuard], exports: [ApiKeyGuard, AUTH_OPTIONS] })
export class AuthModule extends ConfigurableAuthModule {}
