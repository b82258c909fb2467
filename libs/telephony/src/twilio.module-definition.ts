import { ConfigurableModuleBuilder } from '@nestjs/common';
import type { DynamicModule, ForwardReference, Provider, Type } from '@nestjs/common';
import { CallStatusListener } from './call-status/call-status-listener';
import { MediaStreamHandler } from './media-stream/media-stream-handler';
import { CallAdmission } from './twiml/call-admission';

export interface TwilioModuleOptions {
  /** Credentials of Twilio's REST API; without both, REST calls (hang-up, transfer, outbound) are refused. */
  accountSid?: string;
  /** Also the key of Twilio's request signatures. */
  authToken?: string;
  /** Signatures are checked whenever an auth token is set, unless this is false. */
  validateSignatures: boolean;
  /** Base URL of Twilio's REST API, without a trailing slash (a fake one in tests). */
  apiBaseUrl: string;
  /** Default `from` number of outbound calls (E.164). */
  phoneNumber?: string;
  /** The public base URL Twilio reaches the gateway at; undefined: derived from each request's headers. */
  publicUrl?: string;
  /** Said (`<Say>`) to every caller before the stream connects; empty: nothing. */
  welcomeMessage: string;
  /** A media-stream socket that has not sent `start` within this time is closed (1008). */
  mediaStreamStartTimeoutMs: number;
}

/** How TwilioModule is wired to the rest of the application. */
export interface TwilioModuleWiring {
  /** The modules providing `admission` and `callStatus` (global modules, such as OrchestrationModule, need not be listed). */
  imports?: Array<Type<unknown> | DynamicModule | Promise<DynamicModule> | ForwardReference>;
  /** Receives every new media stream (bound as MediaStreamHandler). Required. */
  handler: Type<MediaStreamHandler>;
  /** May refuse new calls politely (bound as CallAdmission); without it every call is admitted. */
  admission?: Type<CallAdmission>;
  /** Receives Twilio's call status callbacks (bound as CallStatusListener); without it they are acknowledged and dropped. */
  callStatus?: Type<CallStatusListener>;
}

const NO_WIRING: TwilioModuleWiring = { imports: undefined, handler: undefined as unknown as Type<MediaStreamHandler>, admission: undefined, callStatus: undefined };

export const { ConfigurableModuleClass: ConfigurableTwilioModule, MODULE_OPTIONS_TOKEN: TWILIO_OPTIONS } =
  new ConfigurableModuleBuilder<TwilioModuleOptions>({ moduleName: 'Twilio' })
    .setClassMethodName('forRoot')
    .setExtras(NO_WIRING, (definition, { imports, handler, admission, callStatus }) => {
      if (!handler) throw new Error('TwilioModule.forRoot needs a handler: the provider that takes each new media stream');
      const wiring: Provider[] = [{ provide: MediaStreamHandler, useExisting: handler }];
      if (admission) wiring.push({ provide: CallAdmission, useExisting: admission });
      if (callStatus) wiring.push({ provide: CallStatusListener, useExisting: callStatus });
      // Global: registered once by the application; the REST client and the signature guard are used across modules.
      return {
        ...definition,
        global: true,
        imports: [...(definition.imports ?? []), ...(imports ?? [])],
        providers: [...(definition.providers ?? []), ...wiring],
      };
    })
    .build();
