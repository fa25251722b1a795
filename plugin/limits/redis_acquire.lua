-- Admission for facegate's cluster mode: checks the caller's failed-
-- authentication blocks and a signature's nonce, then every limit of one
-- request, and charges the limits and records the nonce all together, or
-- changes nothing, in one atomic step (the rules of limiter.go, algo.go and
-- failedauth.go; times in microseconds). Admissions run this script with
-- its loops unrolled and the limits' constants folded in, generated per
-- limit set (redis_script.go): a change here is made there too
-- (TestRedisGeneratedSameAsGeneric compares the two).
-- KEYS[1]: the subject's hash (fields r:<name> = GCRA tat,
--          q:<name> = "<window index>:<used>", x = when the hash and the
--          concurrency sets expire, so that PEXPIRE runs only to extend it);
-- KEYS[2]: the nonce's key, KEYS[3]: the address's failed-authentication
--          hash, KEYS[4]: the (key, address) pair's (field t = GCRA tat);
--          unused ones repeat KEYS[1] and are not touched;
-- KEYS[5..]: one sorted set per concurrency spec, in spec order
--          (member = grant id, score = end of its lease), then the sets
--          of released grants.
-- ARGV: now (empty = the server's clock), charge (1 or 0), grant id,
--       lease, nonce expiry in ms (empty = no nonce), how far ahead of now
--       the address's and the pair's tat may run before they are blocked
--       (interval × (burst - 1); empty = no check), the number of specs
--       and of sets with released grants, then 5 per spec: kind, field
--       (r:<name>, q:<name>, empty for concurrency), a, b, c
--       (rate: interval, burst, cost; quota: count, window, cost;
--        concurrency: count, 0, 0), then for each set of released grants
--       the number of their ids and the ids. The released grants (this
--       node's releases not yet written, see redis.go) leave their sets
--       first, whatever the answer.
-- Returns {index of the refusing spec or 0, retry, now, state of each spec}
-- as integers (rounded); the state is the GCRA tat, the quota units used or
-- the slots held: after the charge when admitted, before it when refused.
-- Index -1 is a blocked address, -2 a blocked (key, address) pair (retry:
-- when the block ends), -3 a nonce seen before; these return no state.
local call, tonumber, fmt, floor, max = redis.call, tonumber, string.format, math.floor, math.max
local ARGV, KEYS = ARGV, KEYS
local now
if ARGV[1] == '' then
  local t = call('TIME')
  now = tonumber(t[1]) * 1000000 + tonumber(t[2])
else
  now = tonumber(ARGV[1])
end
local charge = ARGV[2] == '1'
local gid, lease = ARGV[3], tonumber(ARGV[4])
local n, nrel = tonumber(ARGV[8]), tonumber(ARGV[9])
if nrel > 0 then
  local a = 10 + 5 * n
  for k = #KEYS - nrel + 1, #KEYS do
    local m = tonumber(ARGV[a])
    call('ZREM', KEYS[k], unpack(ARGV, a + 1, a + m))
    a = a + 1 + m
  end
end
-- a failed-authentication block holds while the tat runs more than
-- burst - 1 intervals ahead (failedauth.go's Blocked)
for b = 0, 1 do
  local ahead = ARGV[6 + b]
  if ahead ~= '' then
    local v = call('HGET', KEYS[3 + b], 't')
    if v then
      local over = tonumber(v) - now - tonumber(ahead)
      if over > 0 then
        return {-1 - b, math.ceil(over), now}
      end
    end
  end
end
-- the nonce is written now and deleted again if a limit refuses
local nonce = ARGV[5] ~= ''
if nonce and not call('SET', KEYS[2], '1', 'NX', 'PX', ARGV[5]) then
  return {-3, 0, now}
end
local h = KEYS[1]
-- one read of every rate and quota field (in spec order) and of x
local fields, nf = {}, 0
for o = 11, 5 * n + 6, 5 do
  local f = ARGV[o]
  if f ~= '' then
    nf = nf + 1
    fields[nf] = f
  end
end
fields[nf + 1] = 'x'
local vals = call('HMGET', h, unpack(fields, 1, nf + 1))
local x = tonumber(vals[nf + 1] or 0)
-- out holds the state before the charge, after the state after it, set
-- the hash's new fields
local out, after, set = {0, 0, now}, {}, {}
local worst, worstRetry = 0, -1
local ttl, j, ck, conc = 0, 0, 5, false
for i = 1, n do
  local o = 5 * i + 5
  local kind = ARGV[o]
  local a, b, c = tonumber(ARGV[o + 2]), tonumber(ARGV[o + 3]), tonumber(ARGV[o + 4])
  local ok, retry = true, 0
  if kind == 'rate' then
    j = j + 1
    local tat = tonumber(vals[j] or 0)
    local nt = max(tat, now) + a * c
    if c > b then
      ok, retry = false, a * b
    elseif nt - now - a * b > 0 then
      ok, retry = false, nt - now - a * b
    end
    out[3 + i], after[i] = floor(tat + 0.5), floor(nt + 0.5)
    set[2 * j - 1], set[2 * j] = fields[j], fmt('%.3f', nt)
    ttl = max(ttl, nt - now)
  elseif kind == 'quota' then
    j = j + 1
    local idx = floor(now / b)
    local used = 0
    local v = vals[j]
    if v then
      local sep = string.find(v, ':', 1, true)
      if sep and tonumber(string.sub(v, 1, sep - 1)) == idx then
        used = tonumber(string.sub(v, sep + 1))
      end
    end
    if used + c > a then
      ok, retry = false, (idx + 1) * b - now
    end
    out[3 + i], after[i] = used, used + c
    set[2 * j - 1], set[2 * j] = fields[j], idx .. ':' .. (used + c) -- integers below 1e14: no exponent
    ttl = max(ttl, (idx + 1) * b - now)
  elseif kind == 'concurrency' then
    local z = KEYS[ck]
    ck = ck + 1
    conc = true
    local held = call('ZCARD', z)
    if held + 1 > a then -- drop the leases of slots never released, then count again
      call('ZREMRANGEBYSCORE', z, '-inf', now)
      held = call('ZCARD', z)
    end
    if held + 1 > a then
      ok, retry = false, 1000000
    end
    out[3 + i], after[i] = held, held + 1
  else
    if nonce then
      call('DEL', KEYS[2])
    end
    return redis.error_reply('unknown limit kind')
  end
  if not ok and retry > worstRetry then
    worst, worstRetry = i, retry
  end
end
-- integer replies, rounded to the nearest microsecond
out[1], out[2] = worst, floor(max(worstRetry, 0) + 0.5)
if worst ~= 0 or not charge then
  if nonce then
    call('DEL', KEYS[2])
  end
  return out
end
ck = 5
local created = false
for i = 1, n do
  out[3 + i] = after[i]
  if ARGV[5 * i + 5] == 'concurrency' then
    call('ZADD', KEYS[ck], now + lease, gid)
    created = created or after[i] == 1
    ck = ck + 1
  end
end
-- Everything must outlive its state: the hash its rate and quota fields,
-- the sets their leases. x only grows, by a minute at a time.
if conc then
  ttl = max(ttl, lease)
end
local want = now + ttl + 1000000
local ms
if x < want then
  x = want + 60000000
  set[2 * j + 1], set[2 * j + 2] = 'x', fmt('%.0f', x)
  call('HSET', h, unpack(set))
  ms = math.ceil((x - now) / 1000)
  call('PEXPIRE', h, ms)
elseif j > 0 then
  call('HSET', h, unpack(set))
end
if ms or created then -- the sets expire with the hash
  ms = ms or math.ceil((x - now) / 1000)
  for k = 5, ck - 1 do
    call('PEXPIRE', KEYS[k], ms)
  end
end
return out
