import { Controller, Get, Header, HttpCode, Inject, NotFoundException, Post, Req, UnauthorizedException, UseGuards } from '@nestjs/common';
import { ApiKeyGuard, ApiRateLimitGuard } from '@app/auth';
import { StreamCredentials } from '@app/telephony';
import type { Request } from 'express';
import { ConsoleAssets } from './console-assets.service';
import { CONSOLE_OPTIONS } from './console.module-definition';
import type { ConsoleModuleOptions } from './console.module-definition';
import { ConsoleTokenService } from './console-token.service';

/**
 * Serves the console page and its scripts, issues console tokens (the live feed) and softphone calls
 * (a CallSid and the stream token its media stream must present). Everything answers 404 when the
 * console is disabled. The page itself holds no data; tokens and softphone calls need an API key
 * with the `console` scope when the console is configured to require one, and are rate limited.
 */
@Controller('console')
export class ConsoleController {
  constructor(
    @Inject(CONSOLE_OPTIONS) private readonly config: ConsoleModuleOptions,
    private readonly tokens: ConsoleTokenService,
    private readonly apiKeys: ApiKeyGuard,
    private readonly assets: ConsoleAssets,
    private readonly streams: StreamCredentials,
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
  @UseGuards(ApiRateLimitGuard)
  token(@Req() request: Request): { token: string; expiresAt: number } {
    this.ensureAllowed(request);
    return this.tokens.issue();
  }

  /** A browser softphone call: its CallSid and the stream token for `/media-stream?softphone_token=…&call_sid=…` and its `start`. */
  @Post('softphone')
  @HttpCode(200)
  @Header('Cache-Control', 'no-store')
  @UseGuards(ApiRateLimitGuard)
  softphoneCall(@Req() request: Request): { callSid: string; token: string; expiresAt: number } {
    this.ensureAllowed(request);
    return this.streams.mintSoftphoneCall();
  }

  private ensureAllowed(request: Request): void {
    this.ensureEnabled();
    if (this.config.requireApiKey && !this.apiKeys.isValid(request.headers.authorization, 'console')) {
      throw new UnauthorizedException(
        'An API key with the console scope is required (Authorization: Bearer <key>); whenever the OpenAI key is real or Twilio ' +
          'signatures are checked, set API_KEYS to use the console',
      );
    }
  }

  private asset(name: string): string {
    this.ensureEnabled();
    return this.assets.get(name);
  }

  private ensureEnabled(): void {
    if (!this.config.enabled) throw new NotFoundException();
  }
}
