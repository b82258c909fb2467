export { ApiKeyGuard } from './api-key.guard';
export { AuthModule } from './auth.module';
export type { AuthModuleOptions } from './auth.module-definition';
