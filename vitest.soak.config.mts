import base from './vitest.config.mts';

/** `npm run soak`: the long-running churn test, never part of `npm test`. */
export default { ...base, test: { ...base.test, include: ['test/soak/**/*.soak.ts'] } };
