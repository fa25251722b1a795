package policies

import (
	"bytes"
	"encoding/binary"
	"maps"
	"slices"
	"strings"
	"sync/atomic"

	"github.com/open-policy-agent/opa/v1/ast"
)

// denialTiers memoize denials on less than the whole decision reads.
//
// decision.rego answers the denial that sorts first by [order, reason,
// denial] among the denials of every package's deny set. So a denial of
// rank (order, reason) depends only on the deny rules of that rank or
// lower: they decide whether a lower-ranked denial fires and which denials
// of that rank do; the rules ranked after it cannot change it. A denial is
// therefore also memoized under the rank's key: what those rules read
// (readsOf), found for every rank when the policy set is compiled. An
// input the decision memo has not seen is looked up under each rank's key
// in turn, lowest first, before it is evaluated: a stream of requests
// refused for a missing key, whatever origin, namespace or uids they send,
// is answered from one entry.
//
// This holds for the contract of the shipped decision.rego and
// errors/errors.rego (the denial constructor), so tiers exist only when
// those two files are the shipped ones, the seven deny sets exist and
// every deny rule builds its denial with errors.deny from a literal order
// and reason (contractRules; the rank-ordered evaluation, ranked.go, needs
// the same).
type denialTiers struct {
	ranks []*ast.Term // [order, reason], sorted
	steps [][]keyStep // steps[i]: the key of ranks[:i+1]
	hits  atomic.Uint64
}

// denySets are the sets decision.rego unions into its denials.
var denySets = []string{"routes", "keys", "auth", "scopes", "namespaces", "schema", "limits"}

// contractFiles are the files whose shipped text the tiers rely on.
var contractFiles = []string{"decision.rego", "errors/errors.rego"}

// rankedRule is a deny rule of the decision contract with its rank and
// the deny set (package) it belongs to.
type rankedRule struct {
	rank *ast.Term // [order, reason]
	rule ruleAt
	set  int // index in denySets
}

// contractRules returns the deny rules of a compiled policy set read from
// files, sorted by rank, when the set has the shipped decision contract
// (decision.rego and errors/errors.rego as shipped, every deny set defined,
// every deny rule building its denial from a literal order and reason);
// otherwise nil.
func contractRules(c *ast.Compiler, files []policyFile) []rankedRule {
	shipped, err := readPolicyFiles(embeddedPolicies(), false)
	if err != nil {
		return nil
	}
	for _, name := range contractFiles {
		if !bytes.Equal(fileText(files, name), fileText(shipped, name)) || fileText(files, name) == nil {
			return nil
		}
	}
	var rules []rankedRule
	for i, pkg := range denySets {
		node := c.RuleTree.Find(ast.MustParseRef("data.facegate." + pkg + ".deny"))
		if node == nil || len(node.Values) == 0 {
			return nil
		}
		for _, r := range node.Values {
			rank := denialRank(r)
			if rank == nil {
				return nil
			}
			rules = append(rules, rankedRule{rank, ruleAt{r, node}, i})
		}
	}
	slices.SortStableFunc(rules, func(a, b rankedRule) int { return a.rank.Value.Compare(b.rank.Value) })
	return rules
}

// findTiers returns the denial tiers of a compiled policy set whose deny
// rules are rules (contractRules), or nil.
func findTiers(c *ast.Compiler, rules []rankedRule) *denialTiers {
	if rules == nil {
		return nil
	}
	t := &denialTiers{}
	var starts []ruleAt
	var reads *readSet // of the rules ranked up to here
	for i, r := range rules {
		starts = append(starts, r.rule)
		if i+1 < len(rules) && rules[i+1].rank.Equal(r.rank) {
			continue
		}
		reads = reads.union(readsOf(c, starts, true)) // each use is judged alike from any start
		starts = starts[:0]
		steps, ok := memoKeySteps(reads)
		if !ok {
			break // this rank and those after it read what no key holds
		}
		t.ranks = append(t.ranks, r.rank)
		t.steps = append(t.steps, steps)
	}
	if len(t.ranks) == 0 {
		return nil
	}
	return t
}

// fileText is the source of the file name (relative to the facegate
// folder) in files, or nil.
func fileText(files []policyFile, name string) []byte {
	for _, f := range files {
		if strings.TrimPrefix(f.name, "facegate/") == name {
			return f.src
		}
	}
	return nil
}

// denialRank is [order, reason] of a deny rule whose body builds its
// value with data.facegate.errors.deny(<number>, _, _, _, <string>), or nil.
func denialRank(r *ast.Rule) *ast.Term {
	if r.Head.Key == nil || r.Head.Value != nil || r.Else != nil {
		return nil
	}
	var rank *ast.Term
	for _, e := range r.Body {
		if !e.IsCall() || e.Negated || !e.Operator().Equal(ast.MustParseRef("data.facegate.errors.deny")) {
			continue
		}
		ops := e.Operands()
		if len(ops) != 6 || !ops[5].Equal(r.Head.Key) {
			continue
		}
		_, num := ops[0].Value.(ast.Number)
		_, str := ops[4].Value.(ast.String)
		if !num || !str || rank != nil {
			return nil
		}
		rank = ast.ArrayTerm(ops[0], ops[4])
	}
	return rank
}

// key appends the key of rank i of in.
func (t *denialTiers) key(b []byte, in *Input, i int) []byte {
	b = binary.AppendUvarint(append(b, 1), uint64(i))
	return appendKey(b, in, t.steps[i])
}

// rankOf is the index of the highest rank with dec's reason, or -1 (the
// decision does not say its order, and one reason may come with several:
// the key of a higher rank holds everything a lower one does).
func (t *denialTiers) rankOf(dec Decision) int {
	for i := len(t.ranks) - 1; i >= 0; i-- {
		if r, ok := t.ranks[i].Value.(*ast.Array).Elem(1).Value.(ast.String); ok && string(r) == dec.Reason {
			return i
		}
	}
	return -1
}

// lookup answers in from the memo when a rank's key holds its denial.
func (t *denialTiers) lookup(m *memo, in *Input, buf *[]byte) (Decision, bool) {
	for i := range t.ranks {
		key := t.key((*buf)[:0], in, i)
		*buf = key[:0]
		if len(key) > memoMaxKeyBytes {
			return Decision{}, false
		}
		if dec, ok := m.get(key); ok {
			t.hits.Add(1)
			return dec, true
		}
	}
	return Decision{}, false
}

// put memoizes a denial under its rank's key.
func (t *denialTiers) put(m *memo, in *Input, dec Decision, buf *[]byte) {
	i := t.rankOf(dec)
	if i < 0 {
		return
	}
	key := t.key((*buf)[:0], in, i)
	*buf = key[:0]
	if len(key) <= memoMaxKeyBytes {
		m.put(key, dec)
	}
}

// union is what reading both r and o reads (r may be nil).
func (r *readSet) union(o *readSet) *readSet {
	if r == nil {
		return o
	}
	u := &readSet{memo: r.memo && o.memo, paths: maps.Clone(r.paths), params: maps.Clone(r.params),
		members: maps.Clone(r.members), clocks: maps.Clone(r.clocks), why: maps.Clone(r.why)}
	switch { // the route by its constants when both read it so (or only one reads it)
	case !o.reads(routeLeaf):
		u.routes = maps.Clone(r.routes)
	case !r.reads(routeLeaf):
		u.routes = maps.Clone(o.routes)
	case r.routes != nil && o.routes != nil:
		u.routes = maps.Clone(r.routes)
		maps.Copy(u.routes, o.routes)
	}
	maps.Copy(u.paths, o.paths)
	maps.Copy(u.clocks, o.clocks)
	maps.Copy(u.why, o.why)
	for name, shape := range o.params {
		member := o.members[name]
		if old, read := u.params[name]; read {
			shape, member = shape && old, member && u.members[name]
		}
		u.params[name], u.members[name] = shape, member
	}
	return u
}
