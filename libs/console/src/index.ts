export { ConsoleModule } from './console.module';
export type { ConsoleModuleOptions } from './console.module-definition';
export { ConsoleTokenService, isAllowedOrigin } from './console-token.service';
