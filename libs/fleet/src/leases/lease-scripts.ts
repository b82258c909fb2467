/**
 * Lua for sets of leases: one sorted set per purpose, each member scored by its lease's expiry on
 * Redis's own clock (TIME), so instances' clock skew does not matter and a dead instance's leases
 * lapse by themselves.
 */

/** ACQUIRE (KEYS: set; ARGV: ttl, cap, member; cap 0 means none): 1 taken (or renewed), 0 full. */
export const ACQUIRE_LEASE = `
local t = redis.call('TIME')
local now = t[1] * 1000 + math.floor(t[2] / 1000)
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
local cap = tonumber(ARGV[2])
if cap > 0 and not redis.call('ZSCORE', KEYS[1], ARGV[3]) and redis.call('ZCARD', KEYS[1]) >= cap then return 0 end
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[1]), ARGV[3])
if redis.call('PTTL', KEYS[1]) < tonumber(ARGV[1]) then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
return 1`;

/** RENEW (KEYS: set; ARGV: ttl, member…): pushes each lease's expiry forward. */
export const RENEW_LEASES = `
local t = redis.call('TIME')
local now = t[1] * 1000 + math.floor(t[2] / 1000)
for i = 2, #ARGV do redis.call('ZADD', KEYS[1], now + tonumber(ARGV[1]), ARGV[i]) end
if redis.call('PTTL', KEYS[1]) < tonumber(ARGV[1]) then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
return #ARGV - 1`;

/** COUNT (KEYS: set): live leases. */
export const COUNT_LEASES = `
local t = redis.call('TIME')
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', t[1] * 1000 + math.floor(t[2] / 1000))
return redis.call('ZCARD', KEYS[1])`;
