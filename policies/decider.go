package policies

import (
	"context"
	"fmt"
	"io/fs"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/metrics"
	"github.com/open-policy-agent/opa/v1/rego"
	"go.uber.org/zap"
)

// noMetrics is OPA's no-op metrics, shared by every evaluation.
var noMetrics = metrics.NoOp()

// Query is the policy entry point every decision evaluates.
const Query = "data.facegate.decision"

// Options configure a Decider.
type Options struct {
	// Dir, when set, is a directory whose *.rego files (searched
	// recursively, *_test.rego excluded) replace the embedded policies.
	// Empty means the policies built into the binary.
	Dir string
	// Logger receives reload and evaluation failures. Nil discards them.
	Logger *zap.Logger
	// NoMemo turns the decision memo off (every decision is evaluated, with
	// the rule cache): for measuring the policies' own cost.
	NoMemo bool
}

// Decider evaluates the prepared policy query. It is safe for concurrent
// use; Reload swaps the policy set atomically.
type Decider struct {
	noMemo bool
	dir    string // empty: embedded policies
	fsys   fs.FS
	logger *zap.Logger
	reload sync.Mutex // serializes Reload
	active atomic.Pointer[prepared]
	// reloads remembers the last reload's outcome (Status).
	reloads reloadLog
}

// prepared is one compiled policy set.
type prepared struct {
	query  rego.PreparedEvalQuery
	consts constants
	// memo of decisions (memo.go); nil when the set cannot have one.
	memo *memo
	// reads is what the set's decision reads of the input (readset.go).
	reads *readSet
	// tiers memoize denials on what the rules ranked up to them read
	// (denials.go); nil without memo or for another decision contract.
	tiers *denialTiers
	// ranked evaluates the deny sets in rank order (ranked.go); nil for
	// another decision contract.
	ranked *rankedEval
	// deps and rules: the rule values shared between decisions (rulecache.go).
	deps    *depIndex
	rules   *ruleCache
	version string
	// loadedAt is when this set was compiled.
	loadedAt time.Time
	// fingerprint of the override dir taken before reading it (empty for
	// the embedded policies); Watch reloads when the dir's differs.
	fingerprint string
}

// NewDecider compiles the policies (strictly) and prepares the decision
// query once. It fails when the policies do not compile.
func NewDecider(opts Options) (*Decider, error) {
	d := &Decider{dir: opts.Dir, fsys: embeddedPolicies(), logger: opts.Logger, noMemo: opts.NoMemo}
	if opts.Dir != "" {
		if _, err := os.Stat(opts.Dir); err != nil {
			return nil, fmt.Errorf("policy directory: %w", err)
		}
		d.fsys = os.DirFS(opts.Dir)
	}
	if d.logger == nil {
		d.logger = zap.NewNop()
	}
	p, err := d.prepare(context.Background())
	if err != nil {
		return nil, err
	}
	d.active.Store(p)
	return d, nil
}

func embeddedPolicies() fs.FS {
	sub, err := fs.Sub(embedded, "facegate")
	if err != nil { // cannot happen: the directory is embedded
		panic(err)
	}
	return sub
}

// prepare reads, parses, strictly compiles and prepares the policy set.
func (d *Decider) prepare(ctx context.Context) (*prepared, error) {
	var fp string
	if d.dir != "" {
		var err error
		if fp, err = fingerprint(d.fsys); err != nil {
			return nil, err
		}
	}
	files, err := readPolicyFiles(d.fsys, false)
	if err != nil {
		return nil, err
	}
	mods, err := parseModules(files)
	if err != nil {
		return nil, err
	}
	version := versionOf(files)
	c, err := compileStrict(mods)
	if err != nil {
		return nil, err
	}
	q, err := rego.New(
		rego.Query(Query),
		rego.Compiler(c),
		rego.GenerateJSON(func(t *ast.Term, _ *rego.EvalContext) (any, error) { return t, nil }),
	).PrepareForEval(ctx)
	if err != nil {
		return nil, fmt.Errorf("preparing %s: %w", Query, err)
	}
	p := &prepared{query: q, consts: findConstants(c), version: version, fingerprint: fp,
		deps: findDeps(c), rules: newRuleCache(), loadedAt: time.Now()}
	p.reads = findReads(c)
	if !d.noMemo {
		p.memo = newMemo(p.reads)
	}
	rules := contractRules(c, files)
	if p.ranked, err = findRanked(ctx, c, rules); err != nil {
		return nil, err
	}
	if p.memo != nil {
		p.tiers = findTiers(c, rules)
	}
	return p, nil
}

// Decide evaluates the policy for one request. It never fails open: an
// evaluation error, an undefined or malformed decision answers 500 with
// SkyBiometry error 104 INTERNAL_ERROR and reason "policy_error".
func (d *Decider) Decide(ctx context.Context, in *Input) Decision {
	if in == nil {
		d.logger.Error("policy decision without input")
		return failClosed()
	}
	if err := ctx.Err(); err != nil {
		d.logger.Debug("policy decision on a finished request", zap.Error(err))
		return failClosed()
	}
	p := d.active.Load()
	if p.memo == nil {
		return d.evaluate(ctx, p, in)
	}
	bp := memoKeyPool.Get().(*[]byte)
	defer memoKeyPool.Put(bp)
	key, ok := p.memo.key((*bp)[:0], in)
	if cap(key) <= 4*memoMaxKeyBytes { // keep grown buffers, not huge ones
		*bp = key[:0]
	}
	if !ok {
		return d.evaluate(ctx, p, in)
	}
	if dec, ok := p.memo.get(key); ok {
		return dec
	}
	tb := memoKeyPool.Get().(*[]byte)
	defer memoKeyPool.Put(tb)
	if p.tiers != nil {
		if dec, ok := p.tiers.lookup(p.memo, in, tb); ok {
			return dec
		}
	}
	dec, ok := d.evaluateOK(ctx, p, in)
	if ok {
		p.memo.put(key, dec)
		if !dec.Allow && p.tiers != nil {
			p.tiers.put(p.memo, in, dec, tb)
		}
	}
	return dec
}

// evaluate evaluates the prepared query for one input.
func (d *Decider) evaluate(ctx context.Context, p *prepared, in *Input) Decision {
	dec, _ := d.evaluateOK(ctx, p, in)
	return dec
}

// evaluateOK is evaluate, reporting false when the decision is the
// fail-closed one of an evaluation failure (which is not memoized).
func (d *Decider) evaluateOK(ctx context.Context, p *prepared, in *Input) (Decision, bool) {
	// The decider reads no evaluation metrics: the no-op ones allocate nothing.
	input := in.Value()
	vc := newEvalCache(p.consts)
	if p.rules != nil {
		vc.withRules(p.deps, p.rules, input)
	}
	var t *ast.Term
	var err error
	if p.ranked != nil {
		t, err = p.ranked.decide(ctx, input, vc)
	} else {
		var terms []*ast.Term
		if terms, err = evalTerms(ctx, p.query, input, vc); len(terms) == 1 {
			t = terms[0]
		}
	}
	var dec Decision
	if err == nil && t != nil {
		if dec, err = decisionFromTerm(t); err != nil {
			err = fmt.Errorf("malformed decision: %w", err)
		}
	}
	switch {
	case err != nil:
		d.logger.Error("policy evaluation failed", zap.String("policy_version", p.version), zap.Error(err))
		return failClosed(), false
	case t == nil:
		d.logger.Error("policy decision undefined", zap.String("policy_version", p.version), zap.String("query", Query))
		return failClosed(), false
	}
	if p.rules != nil && dec.Allow {
		// Only allowed decisions share their rule values: a stream of
		// denials (what a caller can vary at will) neither pays for
		// copying values no later decision may use nor empties the cache.
		vc.commit()
	}
	return dec, true
}

// Reload recompiles the policy set. On failure the last good version keeps
// serving and the error is returned.
func (d *Decider) Reload() error {
	d.reload.Lock()
	defer d.reload.Unlock()
	old := d.active.Load()
	p, err := d.prepare(context.Background())
	d.reloads.note(time.Now(), err)
	if err != nil {
		d.logger.Error("policy reload failed, keeping the last good version",
			zap.String("policy_version", old.version), zap.Error(err))
		return fmt.Errorf("reloading policies: %w", err)
	}
	d.active.Store(p)
	if p.version != old.version {
		d.logger.Info("policies reloaded", zap.String("old_version", old.version), zap.String("policy_version", p.version))
	}
	return nil
}

// Version is a short hash of the active policy set's paths and contents.
func (d *Decider) Version() string {
	return d.active.Load().version
}
