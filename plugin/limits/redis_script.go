package limits

import (
	"encoding/binary"
	"fmt"
	"maps"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/valkey-io/valkey-go"
)

// Acquire scripts generated per limit set. The generic script
// (redis_acquire.lua) takes every limit's constants as arguments (kind,
// field, count, interval, window, burst, cost) and parses them on every
// call; Redis's cost of a call grows with its arguments. A request's specs
// come from the policy, which hands out few distinct sets (the tiers and
// the keys' overrides), so Admit runs a script generated for the set, with
// those constants written into its source: a call carries only the keys
// and the request's own values (the grant id, a nonce's expiry, the
// released slots), and the script is straight-line code. The first
// maxScripts distinct shapes of a Redis get a script of their own (loaded
// in Redis by its first EVALSHA, which falls back to EVAL); later ones run
// the generic script. Both read and write the same keys and fields in the
// same formats, with the same arithmetic, so that either may run on any
// node for the same subject: the generated script is the generic one with
// its loops unrolled and its arguments folded.

// maxScripts bounds the generated scripts of a Redis (each stays in
// Redis's script cache: a few KB).
const maxScripts = 256

// maxGenSpecs bounds the specs of a generated script: each takes up to
// three of the 200 locals a Lua function may have.
const maxGenSpecs = 32

// acquireGen is one generated acquire script. Its call (genCall) takes
// KEYS: the subject's hash, then the nonce's key, the address's and the
// (key, address) pair's hashes when checked, then one set per concurrency
// spec, then the sets of released slots; ARGV: now (with a Clock), the
// grant id (with a concurrency spec), the nonce's expiry in ms (with a
// nonce), then the released slots (per set: the number of ids, the ids).
type acquireGen struct {
	lua *valkey.Lua
}

// shapeKey appends to b what a generated script is specialised on: which
// checks c makes, the clock, and every spec's kind, name and numbers.
func (r *Redis) shapeKey(b []byte, specs []Spec, c *Checks) []byte {
	var f byte
	if c.NonceKey != "" {
		f |= 1
	}
	if c.Address != "" {
		f |= 2
	}
	if c.KeySource != "" {
		f |= 4
	}
	if r.clock != nil {
		f |= 8
	}
	b = append(b, f)
	for _, s := range specs {
		b = append(b, s.Kind[0], byte(len(s.Name)))
		b = append(b, s.Name...)
		b = binary.LittleEndian.AppendUint64(b, math.Float64bits(s.Rate))
		b = binary.LittleEndian.AppendUint64(b, math.Float64bits(s.PerS))
		b = binary.AppendVarint(b, int64(s.Burst))
		b = binary.AppendVarint(b, int64(s.Count))
		b = binary.AppendVarint(b, int64(s.Cost))
	}
	return b
}

// genTable is a Redis's generated scripts by shapeKey and the failed-
// authentication thresholds written into them; it is replaced, never
// changed, so that Admit reads it without a lock.
type genTable struct {
	scripts map[string]*acquireGen
	ahead   [2]string // blockAhead of the address's and the pair's failed-authentication specs
}

// setAhead starts a new table of generated scripts for the thresholds of
// the failed-authentication policy (the old scripts hold the old ones).
func (r *Redis) setAhead() {
	r.genMu.Lock()
	defer r.genMu.Unlock()
	r.gens.Store(&genTable{scripts: map[string]*acquireGen{},
		ahead: [2]string{blockAhead(r.failSpec(SourceFactor)), blockAhead(r.failSpec(1))}})
}

// acquireFor returns the generated script for specs and c, creating it
// the first time, or nil past maxScripts (the generic script runs).
func (r *Redis) acquireFor(specs []Spec, c *Checks) *acquireGen {
	var buf [256]byte
	k := r.shapeKey(buf[:0], specs, c)
	t := r.gens.Load()
	if g, ok := t.scripts[string(k)]; ok || len(t.scripts) >= r.genMax || len(specs) > maxGenSpecs {
		return g
	}
	r.genMu.Lock()
	defer r.genMu.Unlock()
	t = r.gens.Load()
	if g, ok := t.scripts[string(k)]; ok || len(t.scripts) >= r.genMax {
		return g
	}
	g := &acquireGen{lua: valkey.NewLuaScript(acquireSource(specs, c.NonceKey != "", c.Address != "", c.KeySource != "",
		r.clock != nil, t.ahead[0], t.ahead[1]))}
	next := &genTable{scripts: make(map[string]*acquireGen, len(t.scripts)+1), ahead: t.ahead}
	maps.Copy(next.scripts, t.scripts)
	next.scripts[string(k)] = g
	r.gens.Store(next)
	return g
}

// genCall lays out a generated script's keys and arguments (see
// acquireGen) and returns the index of the first concurrency set in keys.
func (r *Redis) genCall(h string, specs []Spec, nconc int, id string, c *Checks, rel []pendingRelease) ([]string, []string, int) {
	keys := make([]string, 1, 4+nconc+len(rel))
	keys[0] = h
	args := make([]string, 0, 3+2*len(rel))
	if r.clock != nil {
		args = append(args, r.now())
	}
	if nconc > 0 {
		args = append(args, id)
	}
	if c.NonceKey != "" {
		keys = append(keys, c.NonceKey)
		args = append(args, strconv.FormatInt(max(c.NonceTTL.Milliseconds(), 1), 10))
	}
	if c.Address != "" {
		keys = append(keys, r.sourceKey(c.Address))
	}
	if c.KeySource != "" {
		keys = append(keys, r.hashKey("a", c.KeySource))
	}
	first := len(keys)
	for _, s := range specs {
		if s.Kind == KindConcurrency {
			keys = append(keys, h+":c:"+s.Name)
		}
	}
	keys, args, _ = appendReleases(keys, args, rel)
	return keys, args, first
}

// luaNum is x as a Lua number literal that reads back as x (the generic
// script reads the same text from its arguments with tonumber).
func luaNum(x float64) string { return strconv.FormatFloat(x, 'g', -1, 64) }

// acquireSource is the acquire script for specs (all valid, charged),
// with a nonce, an address block and a (key, address) block checked or
// not, the time from ARGV[1] (clock) or Redis's TIME, and the blocks'
// thresholds aheadAddr and aheadKey (blockAhead). It follows
// redis_acquire.lua step by step; see there for the rules.
func acquireSource(specs []Spec, nonce, addr, keySrc, clock bool, aheadAddr, aheadKey string) string {
	var b strings.Builder
	w := func(format string, a ...any) { fmt.Fprintf(&b, format, a...) }
	w("-- facegate acquire script generated for %d limits (see redis_script.go)\n", len(specs))
	w("local call, tonumber, floor, max, ceil = redis.call, tonumber, math.floor, math.max, math.ceil\n")
	w("local KEYS, ARGV = KEYS, ARGV\n")
	arg := 1
	if clock {
		w("local now = tonumber(ARGV[1])\n")
		arg++
	} else {
		w("local t = call('TIME')\nlocal now = tonumber(t[1]) * 1000000 + tonumber(t[2])\n")
	}
	nconc := 0
	for _, s := range specs {
		if s.Kind == KindConcurrency {
			nconc++
		}
	}
	gidArg := 0
	if nconc > 0 {
		gidArg = arg
		arg++
	}
	nonceArg := 0
	if nonce {
		nonceArg = arg
		arg++
	}
	key := 2
	nonceKey, addrKey, pairKey := 0, 0, 0
	if nonce {
		nonceKey = key
		key++
	}
	if addr {
		addrKey = key
		key++
	}
	if keySrc {
		pairKey = key
		key++
	}
	firstConc := key
	// the node's released slots leave their sets first
	w("local a = %d\nfor k = %d, #KEYS do\n", arg, firstConc+nconc)
	w("  local m = tonumber(ARGV[a])\n  call('ZREM', KEYS[k], unpack(ARGV, a + 1, a + m))\n  a = a + 1 + m\nend\n")
	for i, blk := range []struct {
		key   int
		ahead string
	}{{addrKey, aheadAddr}, {pairKey, aheadKey}} {
		if blk.key == 0 {
			continue
		}
		w("local v = call('HGET', KEYS[%d], 't')\n", blk.key)
		w("if v then\n  local over = tonumber(v) - now - %s\n  if over > 0 then\n    return {%d, ceil(over), now}\n  end\nend\n", blk.ahead, -1-i)
	}
	if nonce {
		w("if not call('SET', KEYS[%d], '1', 'NX', 'PX', ARGV[%d]) then\n  return {-3, 0, now}\nend\n", nonceKey, nonceArg)
	}
	// one read of every rate and quota field and of x
	var fields []string
	for _, s := range specs {
		switch s.Kind {
		case KindRate:
			fields = append(fields, strconv.Quote("r:"+s.Name))
		case KindQuota:
			fields = append(fields, strconv.Quote("q:"+s.Name))
		}
	}
	w("local vals = call('HMGET', KEYS[1], %s)\n", strings.Join(append(slices.Clone(fields), "'x'"), ", "))
	w("local w, wr = 0, -1\n")
	var before, after, ttl, set []string
	j, ck := 0, firstConc
	for n, s := range specs {
		i := n + 1
		switch s.Kind {
		case KindRate:
			j++
			a, bu, c := luaNum(s.PerS*1e6/s.Rate), strconv.Itoa(s.Burst), strconv.FormatInt(s.rateCost(), 10)
			w("local t%d = tonumber(vals[%d] or 0)\n", i, j)
			w("local n%d = max(t%d, now) + %s * %s\n", i, i, a, c)
			if s.rateCost() > int64(s.Burst) {
				w("if %s * %s > wr then\n  w, wr = %d, %s * %s\nend\n", a, bu, i, a, bu)
			} else {
				w("local r%d = n%d - now - %s * %s\n", i, i, a, bu)
				w("if r%d > 0 and r%d > wr then\n  w, wr = %d, r%d\nend\n", i, i, i, i)
			}
			before = append(before, fmt.Sprintf("floor(t%d + 0.5)", i))
			after = append(after, fmt.Sprintf("floor(n%d + 0.5)", i))
			ttl = append(ttl, fmt.Sprintf("n%d - now", i))
			set = append(set, fields[j-1], fmt.Sprintf("string.format('%%.3f', n%d)", i))
		case KindQuota:
			j++
			a, win, c := strconv.Itoa(s.Count), strconv.FormatFloat(s.PerS*1e6, 'f', 0, 64), strconv.Itoa(s.Cost)
			w("local i%d = floor(now / %s)\nlocal u%d = 0\nlocal v%d = vals[%d]\n", i, win, i, i, j)
			w("if v%d then\n  local sep = string.find(v%d, ':', 1, true)\n", i, i)
			w("  if sep and tonumber(string.sub(v%d, 1, sep - 1)) == i%d then\n    u%d = tonumber(string.sub(v%d, sep + 1))\n  end\nend\n", i, i, i, i)
			w("if u%d + %s > %s then\n  local r = (i%d + 1) * %s - now\n  if r > wr then\n    w, wr = %d, r\n  end\nend\n", i, c, a, i, win, i)
			before = append(before, fmt.Sprintf("u%d", i))
			after = append(after, fmt.Sprintf("u%d + %s", i, c))
			ttl = append(ttl, fmt.Sprintf("(i%d + 1) * %s - now", i, win))
			set = append(set, fields[j-1], fmt.Sprintf("i%d .. ':' .. (u%d + %s)", i, i, c)) // integers below 1e14: no exponent
		case KindConcurrency:
			a := strconv.Itoa(s.Count)
			w("local z%d = KEYS[%d]\nlocal s%d = call('ZCARD', z%d)\n", i, ck, i, i)
			w("if s%d + 1 > %s then\n  call('ZREMRANGEBYSCORE', z%d, '-inf', now)\n  s%d = call('ZCARD', z%d)\nend\n", i, a, i, i, i)
			w("if s%d + 1 > %s and 1000000 > wr then\n  w, wr = %d, 1000000\nend\n", i, a, i)
			before = append(before, fmt.Sprintf("s%d", i))
			after = append(after, fmt.Sprintf("s%d + 1", i))
			ck++
		}
	}
	w("if w ~= 0 then\n")
	if nonce {
		w("  call('DEL', KEYS[%d])\n", nonceKey)
	}
	w("  return {w, floor(max(wr, 0) + 0.5), now%s}\nend\n", joinPrefixed(before))
	// charge
	w("local x = tonumber(vals[%d] or 0)\n", j+1)
	created := []string{}
	for n, s := range specs {
		if s.Kind == KindConcurrency {
			w("call('ZADD', z%d, now + %s, ARGV[%d])\n", n+1, leaseArg, gidArg)
			created = append(created, fmt.Sprintf("s%d == 0", n+1))
		}
	}
	if nconc > 0 {
		ttl = append(ttl, leaseArg)
	}
	w("local want = now + max(0%s) + 1000000\nlocal ms\n", joinPrefixed(ttl))
	w("if x < want then\n  x = want + 60000000\n")
	w("  call('HSET', KEYS[1], %s)\n", strings.Join(append(slices.Clone(set), "'x'", "string.format('%.0f', x)"), ", "))
	w("  ms = ceil((x - now) / 1000)\n  call('PEXPIRE', KEYS[1], ms)\n")
	if j > 0 {
		w("else\n  call('HSET', KEYS[1], %s)\n", strings.Join(set, ", "))
	}
	w("end\n")
	if nconc > 0 { // the sets expire with the hash
		w("if ms or %s then\n  ms = ms or ceil((x - now) / 1000)\n", strings.Join(created, " or "))
		for k := firstConc; k < firstConc+nconc; k++ {
			w("  call('PEXPIRE', KEYS[%d], ms)\n", k)
		}
		w("end\n")
	}
	w("return {0, 0, now%s}\n", joinPrefixed(after))
	return b.String()
}

// joinPrefixed is ", a, b, c" for a, b, c ("" for none).
func joinPrefixed(s []string) string {
	if len(s) == 0 {
		return ""
	}
	return ", " + strings.Join(s, ", ")
}
