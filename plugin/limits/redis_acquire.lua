-- Admission for facegate's cluster mode: checks the caller's failed-
-- authentication blocks and a signature's nonce, then every limit of one
-- request, and charges the limits and records the nonce all together, or
-- changes nothing, in one atomic step (the rules of limiter.go, algo.go and
-- failedauth.go; times in microseconds).
-- KEYS[1]: the subject's hash (fields r:<name> = GCRA tat,
--          q:<name> = "<window index>:<used>", x = when the hash and the
--          concurrency sets expire, so that PEXPIRE runs only to extend it);
-- KEYS[2]: the nonce's key, KEYS[3]: the address's failed-authentication
--          hash, KEYS[4]: the (key, address) pair's (field t = GCRA tat);
--          unused ones repeat KEYS[1] and are not touched;
-- KEYS[5..]: one sorted set per concurrency spec, in spec order
--          (member = grant id, score = end of its lease).
-- ARGV: now (empty = the server's clock), charge (1 or 0), grant id,
--       lease, nonce expiry in ms (empty = no nonce), the address block's
--       interval and burst, the pair's interval and burst (empty = no
--       check), then 5 per spec: kind, name, a, b, c
--       (rate: interval, burst, cost; quota: count, window, cost;
--        concurrency: count, 0, 0).
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
-- a failed-authentication block holds while the tat runs more than
-- burst - 1 intervals ahead (failedauth.go's Blocked)
for b = 0, 1 do
  local T = ARGV[6 + 2 * b]
  if T ~= '' then
    local v = call('HGET', KEYS[3 + b], 't')
    if v then
      local over = tonumber(v) - now - tonumber(T) * (tonumber(ARGV[7 + 2 * b]) - 1)
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
local base = 9
local n = (#ARGV - base) / 5
-- one read of every rate and quota field
local fields, fieldOf = {}, {}
for i = 1, n do
  local kind = ARGV[base + (i - 1) * 5 + 1]
  if kind == 'rate' or kind == 'quota' then
    fields[#fields + 1] = string.sub(kind, 1, 1) .. ':' .. ARGV[base + (i - 1) * 5 + 2]
    fieldOf[i] = #fields
  end
end
fields[#fields + 1] = 'x'
local vals = call('HMGET', h, unpack(fields))
local x = tonumber(vals[#fields] or '0')
local worst, worstRetry = 0, -1
local cur, nxt, idxs, zkeys = {}, {}, {}, {}
local conc = false
local ttl = 0
local ck = 5
for i = 1, n do
  local o = base + (i - 1) * 5
  local kind = ARGV[o + 1]
  local a, b, c = tonumber(ARGV[o + 3]), tonumber(ARGV[o + 4]), tonumber(ARGV[o + 5])
  local ok, retry = true, 0
  if kind == 'rate' then
    local tat = tonumber(vals[fieldOf[i]] or '0')
    local nt = max(tat, now) + a * c
    if c > b then
      ok, retry = false, a * b
    elseif nt - now - a * b > 0 then
      ok, retry = false, nt - now - a * b
    end
    cur[i], nxt[i] = tat, nt
    ttl = max(ttl, nt - now)
  elseif kind == 'quota' then
    local idx = floor(now / b)
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
    ttl = max(ttl, (idx + 1) * b - now)
  elseif kind == 'concurrency' then
    local z = KEYS[ck]
    ck = ck + 1
    zkeys[i] = z
    conc = true
    local held = call('ZCARD', z)
    if held + 1 > a then -- drop the leases of slots never released, then count again
      call('ZREMRANGEBYSCORE', z, '-inf', now)
      held = call('ZCARD', z)
    end
    if held + 1 > a then
      ok, retry = false, 1000000
    end
    cur[i], nxt[i] = held, held + 1
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
local out = {worst, floor(max(worstRetry, 0) + 0.5), now}
if worst ~= 0 or not charge then
  if nonce then
    call('DEL', KEYS[2])
  end
  for i = 1, n do out[3 + i] = floor(cur[i] + 0.5) end
  return out
end
local set, created = {}, {}
for i = 1, n do
  local kind = ARGV[base + (i - 1) * 5 + 1]
  if kind == 'rate' then
    set[#set + 1] = fields[fieldOf[i]]
    set[#set + 1] = fmt('%.3f', nxt[i])
  elseif kind == 'quota' then
    set[#set + 1] = fields[fieldOf[i]]
    set[#set + 1] = idxs[i] .. ':' .. nxt[i] -- integers below 1e14: no exponent
  else
    call('ZADD', zkeys[i], now + lease, gid)
    if cur[i] == 0 then
      created[#created + 1] = zkeys[i]
    end
  end
  out[3 + i] = floor(nxt[i] + 0.5)
end
-- Everything must outlive its state: the hash its rate and quota fields,
-- the sets their leases. x only grows, by a minute at a time.
if conc then
  ttl = max(ttl, lease)
end
local want = now + ttl + 1000000
if x < want then
  x = want + 60000000
  set[#set + 1] = 'x'
  set[#set + 1] = fmt('%.0f', x)
  call('HSET', h, unpack(set))
  local ms = math.ceil((x - now) / 1000)
  call('PEXPIRE', h, ms)
  for i = 1, n do
    if zkeys[i] then
      call('PEXPIRE', zkeys[i], ms)
    end
  end
else
  if #set > 0 then
    call('HSET', h, unpack(set))
  end
  for _, z in ipairs(created) do
    call('PEXPIRE', z, math.ceil((x - now) / 1000))
  end
end
return out
