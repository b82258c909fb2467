import { ConfigurableModuleBuilder } from '@nestjs/common';
import type { DynamicModule, ForwardReference, Provider, Type } from '@nestjs/common';
import { AnsweringMachineListener, CallStatusListener } from './call-status/call-status-listener';
import { MediaStreamHandler } from './media-stream/media-stream-handler';
import { InProcessStreamClaims, StreamClaims } from './stream-auth/stream-claims';
import { CallAdmission } from './twiml/call-admission';
import { CallDisclosure } from './twiml/call-disclosure';
import { WarmTransferCallbacks } from './warm-transfer/warm-transfer-callbacks';

export interface TwilioModuleOptions {
  /** Credentials of Twilio's REST API; without both, REST calls (hang-up, transfer, outbound) are refused. */
  accountSid?: string;
  /** Also the key of Twilio's request signatures. */
  authToken?: string;
  /**
   * Whether Twilio's request signatures are checked. When true and no auth token is set, nothing
   * can be checked, so every webhook and media-stream upgrade is refused (403).
   */
  validateSignatures: boolean;
  /**
   * Keys of what the gateway signs for its calls, derived by the application from its signing
   * secret: stream tokens (Twilio's and the softphone's) and the sealed call context.
   */
  keys: { streamToken: Buffer; softphoneToken: Buffer; callContext: Buffer; transferTicket: Buffer };
  /** Base URL of Twilio's REST API, without a trailing slash (a fake one in tests). */
  apiBaseUrl: string;
  /** Default `from` number of outbound calls (E.164). */
  phoneNumber?: string;
  /**
   * The public base URL Twilio reaches the gateway at. Undefined: from each request's
   * `X-Forwarded-*` / `Host` headers when `trustProxyHeaders`, else the address the request arrived at.
   */
  publicUrl?: string;
  /** Build URLs from the proxy headers (only behind a proxy that sets them); never done otherwise. */
  trustProxyHeaders: boolean;
  /** Said (`<Say>`) to every caller before the stream connects; empty: nothing. */
  welcomeMessage: string;
  /** A media-stream socket that has not sent `start` within this time is closed (1008). */
  mediaStreamStartTimeoutMs: number;
  /** A media-stream socket with more unsent bytes than this (Twilio stopped reading) ends its call; default 1 MiB. */
  mediaStreamMaxBufferedBytes?: number;
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
  /** Remembers used stream tokens and live calls (bound as StreamClaims); default: in this process only. */
  claims?: Type<StreamClaims>;
  /** Takes Twilio's answering-machine verdicts to the live calls (bound as AnsweringMachineListener); without it they are only stored. */
  answeringMachine?: Type<AnsweringMachineListener>;
  /** What callers hear before the stream, e.g. a recording disclosure (bound as CallDisclosure); without it nothing. */
  disclosure?: Type<CallDisclosure>;
  /** Resolves warm transfers' agent answers on the pod holding the call (bound as WarmTransferCallbacks); without it they are refused. */
  warmTransfers?: Type<WarmTransferCallbacks>;
}

const NO_WIRING: TwilioModuleWiring = {
  imports: undefined,
  handler: undefined as unknown as Type<MediaStreamHandler>,
  admission: undefined,
  callStatus: undefined,
  claims: undefined,
  answeringMachine: undefined,
  disclosure: undefined,
  warmTransfers: undefined,
};

export const { ConfigurableModuleClass: ConfigurableTwilioModule, MODULE_OPTIONS_TOKEN: TWILIO_OPTIONS } =
  new ConfigurableModuleBuilder<TwilioModuleOptions>({ moduleName: 'Twilio' })
    .setClassMethodName('forRoot')
    .setExtras(NO_WIRING, (definition, { imports, handler, admission, callStatus, claims, answeringMachine, disclosure, warmTransfers }) => {
      if (!handler) throw new Error('TwilioModule.forRoot needs a handler: the provider that takes each new media stream');
      const wiring: Provider[] = [{ provide: MediaStreamHandler, useExisting: handler }];
      wiring.push(claims ? { provide: StreamClaims, useExisting: claims } : { provide: StreamClaims, useClass: InProcessStreamClaims });
      if (admission) wiring.push({ provide: CallAdmission, useExisting: admission });
      if (callStatus) wiring.push({ provide: CallStatusListener, useExisting: callStatus });
      if (answeringMachine) wiring.push({ provide: AnsweringMachineListener, useExisting: answeringMachine });
      if (disclosure) wiring.push({ provide: CallDisclosure, useExisting: disclosure });
      if (warmTransfers) wiring.push({ provide: WarmTransferCallbacks, useExisting: warmTransfers });
      // Global: registered once by the application; the REST client and the signature guard are used across modules.
      return {
        ...definition,
        global: true,
        imports: [...(definition.imports ?? []), ...(imports ?? [])],
        providers: [...(definition.providers ?? []), ...wiring],
      };
    })
    .build();
