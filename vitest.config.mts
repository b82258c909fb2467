import { fileURLToPath } from 'node:url';
import swc from 'unplugin-swc';
import { defineConfig } from 'vitest/config';

const here = (path: string) => fileURLToPath(new URL(path, import.meta.url));

export default defineConfig({
  // SWC keeps Nest's constructor injection working (it emits decorator metadata).
  plugins: [swc.vite({ module: { type: 'es6' } })],
  resolve: {
    alias: {
      '@app/config': here('./config/index.ts'),
      '@app/telephony': here('./libs/telephony/src/index.ts'),
      '@app/realtime': here('./libs/realtime/src/index.ts'),
      '@app/simulators': here('./libs/simulators/src/index.ts'),
      '@app/orchestration': here('./libs/orchestration/src/index.ts'),
      '@app/auth': here('./libs/auth/src/index.ts'),
      '@app/tools': here('./libs/tools/src/index.ts'),
      '@app/call-records': here('./libs/call-records/src/index.ts'),
      '@app/console': here('./libs/console/src/index.ts'),
      '@app/operations': here('./libs/operations/src/index.ts'),
      '@app/fleet': here('./libs/fleet/src/index.ts'),
      '@app/tracing': here('./libs/tracing/src/index.ts'),
    },
  },
  test: {
    include: ['libs/**/*.spec.ts', 'config/**/*.spec.ts', 'apps/**/*.spec.ts', 'test/**/*.spec.ts', 'test/**/*.e2e-spec.ts'],
    environment: 'node',
    testTimeout: 20000,
    hookTimeout: 20000,
    pool: 'forks',
    reporters: ['default'],
  },
});
