-- Failed authentications for facegate's cluster mode (the rules of
-- failedauth.go; times in microseconds).
-- KEYS[1]: the subject's hash (t = GCRA tat, p = when the key's failures
--          were last reported).
-- ARGV: now (empty = the server's clock), op ('fail' or 'key'),
--       interval, burst, cap (units the tat may run ahead), period.
-- Returns {reported (1/0), excess (key)}; blocks are read with HGET (redis_failedauth.go).
local now
if ARGV[1] == '' then
  local t = redis.call('TIME')
  now = tonumber(t[1]) * 1000000 + tonumber(t[2])
else
  now = tonumber(ARGV[1])
end
local op = ARGV[2]
local T, B, cap, period = tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5]), tonumber(ARGV[6])
local h = KEYS[1]
local tat = tonumber(redis.call('HGET', h, 't') or '0')
tat = math.min(math.max(tat, now) + T, now + T * cap)
redis.call('HSET', h, 't', string.format('%.3f', tat))
redis.call('PEXPIRE', h, math.ceil(math.max(tat - now, period) / 1000) + 1000)
if op ~= 'key' then
  return {'0', '0'}
end
local excess = math.ceil((tat - now) / T) - B
if excess <= 0 then
  return {'0', '0'}
end
local last = redis.call('HGET', h, 'p')
if not last or now - tonumber(last) >= period then
  redis.call('HSET', h, 'p', string.format('%.0f', now))
  return {'1', tostring(excess)}
end
return {'0', tostring(excess)}
