-- Acquire for facegate's cluster mode: checks every limit of one request and
-- charges them all, or none, in one atomic step (the same rules as
-- limiter.go and algo.go; times in microseconds).
-- KEYS[1]: the subject's hash (fields r:<name> = GCRA tat,
--          q:<name> = "<window index>:<used>", x = when the hash and the
--          concurrency sets expire, so that PEXPIRE runs only to extend it);
-- KEYS[2..]: one sorted set per concurrency spec, in spec order
--          (member = grant id, score = end of its lease).
-- ARGV: now (empty = the server's clock), charge (1 or 0), grant id,
--       lease, then 5 per spec: kind, name, a, b, c
--       (rate: interval, burst, cost; quota: count, window, cost;
--        concurrency: count, 0, 0).
-- Returns {index of the refusing spec or 0, retry, now, state of each spec}
-- as decimal strings; the state is the GCRA tat, the quota units used or
-- the slots held: after the charge when admitted, before it when refused.
local now
if ARGV[1] == '' then
  local t = redis.call('TIME')
  now = tonumber(t[1]) * 1000000 + tonumber(t[2])
else
  now = tonumber(ARGV[1])
end
local charge = ARGV[2] == '1'
local gid, lease = ARGV[3], tonumber(ARGV[4])
local h = KEYS[1]
local n = (#ARGV - 4) / 5
local fmt = string.format
-- one read of every rate and quota field
local fields, fieldOf = {}, {}
for i = 1, n do
  local kind = ARGV[4 + (i - 1) * 5 + 1]
  if kind == 'rate' or kind == 'quota' then
    fields[#fields + 1] = string.sub(kind, 1, 1) .. ':' .. ARGV[4 + (i - 1) * 5 + 2]
    fieldOf[i] = #fields
  end
end
fields[#fields + 1] = 'x'
local vals = redis.call('HMGET', h, unpack(fields))
local x = tonumber(vals[#fields] or '0')
local worst, worstRetry = 0, -1
local cur, nxt, idxs, zkeys = {}, {}, {}, {}
local conc = false
local ttl = 0
local ck = 1
for i = 1, n do
  local o = 4 + (i - 1) * 5
  local kind = ARGV[o + 1]
  local a, b, c = tonumber(ARGV[o + 3]), tonumber(ARGV[o + 4]), tonumber(ARGV[o + 5])
  local ok, retry = true, 0
  if kind == 'rate' then
    local tat = tonumber(vals[fieldOf[i]] or '0')
    local nt = math.max(tat, now) + a * c
    if c > b then
      ok, retry = false, a * b
    elseif nt - now - a * b > 0 then
      ok, retry = false, nt - now - a * b
    end
    cur[i], nxt[i] = tat, nt
    ttl = math.max(ttl, nt - now)
  elseif kind == 'quota' then
    local idx = math.floor(now / b)
    local used = 0
    local v = vals[fieldOf[i]]
    if v then
      local sep = string.find(v, ':', 1, true)
      if sep and tonumber(string.sub(v, 1, sep - 1)) == idx then
        used = tonumber(string.sub(v, sep + 1))
      end
    end
    if used + c > a then
      ok, retry = false, (idx + 1) * b - now
    end
    cur[i], nxt[i], idxs[i] = used, used + c, idx
    ttl = math.max(ttl, (idx + 1) * b - now)
  elseif kind == 'concurrency' then
    local z = KEYS[1 + ck]
    ck = ck + 1
    zkeys[i] = z
    conc = true
    local held = redis.call('ZCARD', z)
    if held + 1 > a then -- drop the leases of slots never released, then count again
      redis.call('ZREMRANGEBYSCORE', z, '-inf', now)
      held = redis.call('ZCARD', z)
    end
    if held + 1 > a then
      ok, retry = false, 1000000
    end
    cur[i], nxt[i] = held, held + 1
  else
    return redis.error_reply('unknown limit kind')
  end
  if not ok and retry > worstRetry then
    worst, worstRetry = i, retry
  end
end
local out = {tostring(worst), fmt('%.0f', math.max(worstRetry, 0)), fmt('%.0f', now)}
if worst ~= 0 or not charge then
  for i = 1, n do out[3 + i] = fmt('%.0f', cur[i]) end
  return out
end
local set, created = {}, {}
for i = 1, n do
  local kind = ARGV[4 + (i - 1) * 5 + 1]
  if kind == 'rate' then
    set[#set + 1] = fields[fieldOf[i]]
    set[#set + 1] = fmt('%.3f', nxt[i])
  elseif kind == 'quota' then
    set[#set + 1] = fields[fieldOf[i]]
    set[#set + 1] = fmt('%.0f:%.0f', idxs[i], nxt[i])
  else
    redis.call('ZADD', zkeys[i], fmt('%.0f', now + lease), gid)
    if cur[i] == 0 then
      created[#created + 1] = zkeys[i]
    end
  end
  out[3 + i] = fmt('%.0f', nxt[i])
end
-- Everything must outlive its state: the hash its rate and quota fields,
-- the sets their leases. x only grows, by a minute at a time.
if conc then
  ttl = math.max(ttl, lease)
end
local want = now + ttl + 1000000
if x < want then
  x = want + 60000000
  set[#set + 1] = 'x'
  set[#set + 1] = fmt('%.0f', x)
  redis.call('HSET', h, unpack(set))
  local ms = math.ceil((x - now) / 1000)
  redis.call('PEXPIRE', h, ms)
  for i = 1, n do
    if zkeys[i] then
      redis.call('PEXPIRE', zkeys[i], ms)
    end
  end
else
  if #set > 0 then
    redis.call('HSET', h, unpack(set))
  end
  for _, z in ipairs(created) do
    redis.call('PEXPIRE', z, math.ceil((x - now) / 1000))
  end
end
return out
