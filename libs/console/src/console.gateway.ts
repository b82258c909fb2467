import { Inject, Logger } from '@nestjs/common';
import { OnGatewayConnection, WebSocketGateway } from '@nestjs/websockets';
import type { IncomingMessage } from 'node:http';
import type WebSocket from 'ws';
import { CONSOLE_OPTIONS } from './console.module-definition';
import type { ConsoleModuleOptions } from './console.module-definition';
import { ConsoleFeed } from './console-feed.service';
import { ConsoleTokenService, isAllowedOrigin } from './console-token.service';

export const CONSOLE_FEED_PATH = '/console/ws';

/**
 * The console's live feed. Like the media stream it runs on raw `ws` (no Nest message handlers):
 * the server only pushes. The socket needs a console token and, from a browser, an allowed
 * `Origin`; without them it is closed at once.
 */
@WebSocketGateway({ path: CONSOLE_FEED_PATH })
export class ConsoleGateway implements OnGatewayConnection {
  private readonly logger = new Logger(ConsoleGateway.name);

  constructor(
    private readonly feed: ConsoleFeed,
    private readonly tokens: ConsoleTokenService,
    @Inject(CONSOLE_OPTIONS) private readonly config: ConsoleModuleOptions,
  ) {}

  handleConnection(socket: WebSocket, request: IncomingMessage): void {
    if (!this.config.enabled || !this.tokens.isValid(request)) {
      this.logger.warn('console feed refused: console disabled or missing/expired console token');
      socket.close(1008, 'console token required');
      return;
    }
    if (!isAllowedOrigin(request, this.config.allowedOrigins)) {
      this.logger.warn(`console feed refused: a page from another origin (${String(request.headers.origin).slice(0, 100)}) tried to open it`);
      socket.close(1008, 'origin not allowed');
      return;
    }
    this.feed.addClient(socket);
  }
}
