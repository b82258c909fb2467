import { DynamicModule, Module, Type } from '@nestjs/common';
import { MediaStreamHandler } from './media-stream/media-stream-handler';
import { MediaStreamGateway } from './media-stream/media-stream.gateway';
import { TwilioApiModule } from './twilio-api.module';
import { CallAdmission } from './twiml/call-admission';
import { IncomingCallController } from './twiml/incoming-call.controller';

export interface TwilioModuleOptions {
  /** The module that provides the media-stream handler. */
  imports: Array<Type<unknown> | DynamicModule>;
  /** The provider that receives every new media stream (bound as MediaStreamHandler). */
  handler: Type<MediaStreamHandler>;
  /** Optional: the provider (from `imports`) that may refuse new calls politely (bound as CallAdmission). */
  admission?: Type<CallAdmission>;
}

/** Everything Twilio-facing: the TwiML webhook and the Media Streams WebSocket gateway. */
@Module({})
export class TwilioModule {
  static forRoot(options: TwilioModuleOptions): DynamicModule {
    return {
      module: TwilioModule,
      imports: [TwilioApiModule, ...options.imports],
      controllers: [IncomingCallController],
      providers: [
        MediaStreamGateway,
        { provide: MediaStreamHandler, useExisting: options.handler },
        ...(options.admission ? [{ provide: CallAdmission, useExisting: options.admission }] : []),
      ],
      exports: [TwilioApiModule],
    };
  }
}
