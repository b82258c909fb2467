export { ApiKeyGuard, apiKeyIdOf } from './api-key.guard';
export { API_KEY_SCOPES, parseApiKey, RequireApiScope } from './api-key-scope';
export type { ApiKeyDefinition, ApiKeyScope } from './api-key-scope';
export { API_RATE_LIMITS, ApiRateLimitGuard, apiRateLimits, CountsAsOutboundCall } from './api-rate-limit.guard';
export { AuthModule } from './auth.module';
export type { AuthModuleOptions } from './auth.module-definition';
export { deriveSigningKey, deriveSigningKeys } from './signing-keys';
export type { SigningKeys, SigningPurpose } from './signing-keys';
export {
  signStandardWebhook,
  STANDARD_WEBHOOK_ID_HEADER,
  STANDARD_WEBHOOK_SIGNATURE_HEADER,
  STANDARD_WEBHOOK_TIMESTAMP_HEADER,
  standardWebhookHeaders,
  verifyStandardWebhook,
  webhookSigningKey,
} from './standard-webhooks';
