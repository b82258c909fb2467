import { Controller, Get, Header, HttpCode, Inject, NotFoundException, Post, Req, UnauthorizedException } from '@nestjs/common';
import { ApiKeyGuard } from '@app/auth';
import type { Request } from 'express';
import { ConsoleAssets } from './console-assets.service';
import { CONSOLE_OPTIONS } from './console.module-definition';
import type { ConsoleModuleOptions } from './console.module-definition';
import { ConsoleTokenService } from './console-token.service';

/**
 * Serves the console page and its scripts, and issues console tokens. Everything answers 404 when
 * the console is disabled. The page itself holds no data; tokens (and so the live feed and the
 * softphone) need the API key when the console is configured to require one.
 */
@Controller('console')
export class ConsoleController {
  constructor(
    @Inject(CONSOLE_OPTIONS) private readonly config: ConsoleModuleOptions,
    private readonly tokens: ConsoleTokenService,
    private readonly apiKeys: ApiKeyGuard,
    private readonly assets: ConsoleAssets,
  ) {}

  @Get()
  @Header('Content-Type', 'text/html; charset=utf-8')
  @Header('Cache-Control', 'no-store')
  page(): string {
    return this.asset('index.html');
  }

  @Get('console.js')
  @Header('Content-Type', 'text/javascript; charset=utf-8')
  script(): string {
    return this.asset('console.js');
  }

  @Get('softphone.js')
  @Header('Content-Type', 'text/javascript; charset=utf-8')
  softphone(): string {
    return this.asset('softphone.js');
  }

  @Get('console.css')
  @Header('Content-Type', 'text/css; charset=utf-8')
  styles(): string {
    return this.asset('console.css');
  }

  @Get('settings')
  settings(): { requireApiKey: boolean } {
    this.ensureEnabled();
    return { requireApiKey: this.config.requireApiKey };
  }

  @Post('token')
  @HttpCode(200)
  @Header('Cache-Control', 'no-store')
  token(@Req() request: Request): { token: string; expiresAt: number } {
    this.ensureEnabled();
    if (this.config.requireApiKey && !this.apiKeys.isValid(request.headers.authorization)) {
      throw new UnauthorizedException(
        'A valid API key is required (Authorization: Bearer <key>); with Twilio signatures on, set API_KEYS to use the console',
      );
    }
    return this.tokens.issue();
  }

  private asset(name: string): string {
    this.ensureEnabled();
    return this.assets.get(name);
  }

  private ensureEnabled(): void {
    if (!this.config.enabled) throw new NotFoundException();
  }
}
