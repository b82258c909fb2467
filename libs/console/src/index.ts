export { ConsoleModule } from './console.module';
export type { ConsoleModuleOptions } from './console.module-definition';
export { ConsoleTokenService } from './console-token.service';
