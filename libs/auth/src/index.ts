export * from './api-key.guard';
export * from './auth.module';
