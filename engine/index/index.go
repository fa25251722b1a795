package index

import (
	"math"
	"runtime"
	"sort"
	"sync"
	"sync/atomic"
	"time"
)

// Match is one search result: a uid and the smallest distance between the query and any of
// its templates.
type Match struct {
	UID  string
	Dist float32
}

// parallelMin is the namespace size from which Search splits the scan across goroutines.
const parallelMin = 32 << 10

// Index is a set of namespaces of templates. It is safe for concurrent use; searches run in
// parallel with each other and wait for writes to the same namespace.
type Index struct {
	mu      sync.RWMutex
	spaces  map[string]*nsSpace
	observe atomic.Pointer[SearchObserver] // see SetSearchObserver
	loaded  atomic.Pointer[LoadProgress]   // see LastLoad
}

type nsSpace struct {
	mu sync.RWMutex
	s  *space
}

// New returns an empty index.
func New() *Index { return &Index{spaces: map[string]*nsSpace{}} }

func (x *Index) get(ns string, create bool) *nsSpace {
	x.mu.RLock()
	sp := x.spaces[ns]
	x.mu.RUnlock()
	if sp != nil || !create {
		return sp
	}
	x.mu.Lock()
	defer x.mu.Unlock()
	if sp = x.spaces[ns]; sp == nil {
		sp = &nsSpace{s: newSpace()}
		x.spaces[ns] = sp
	}
	return sp
}

// Add stores template tid of uid in namespace ns, replacing a template with the same tid.
func (x *Index) Add(ns, uid, tid string, v [Dim]float32) { x.AddTemplate(ns, uid, tid, v, 1) }

// AddTemplate is Add for a template that averages n descriptors (a uid's mean template,
// its only one); TemplateSizes reports n ≥ 2 until the template is removed or replaced.
func (x *Index) AddTemplate(ns, uid, tid string, v [Dim]float32, n int) {
	sp := x.get(ns, true)
	sp.mu.Lock()
	defer sp.mu.Unlock()
	sp.s.add(uid, tid, &v, n)
}

// TemplateSizes returns, for each of uids in ns whose template averages n ≥ 2 descriptors
// (AddTemplate, or a Load of EncodeTemplate's values), that n; other uids are left out.
func (x *Index) TemplateSizes(ns string, uids []string) map[string]int {
	out := make(map[string]int, len(uids))
	sp := x.get(ns, false)
	if sp == nil {
		return out
	}
	sp.mu.RLock()
	defer sp.mu.RUnlock()
	for _, uid := range uids {
		if u, ok := sp.s.uidSlot[uid]; ok {
			if n, ok := sp.s.uidMeanN[u]; ok {
				out[uid] = int(n)
			}
		}
	}
	return out
}

// HasTID reports whether ns holds template tid.
func (x *Index) HasTID(ns, tid string) bool {
	sp := x.get(ns, false)
	if sp == nil {
		return false
	}
	sp.mu.RLock()
	defer sp.mu.RUnlock()
	_, ok := sp.s.rowOf[tid]
	return ok
}

// RemoveTID removes template tid from ns and reports whether it was there.
func (x *Index) RemoveTID(ns, tid string) bool {
	sp := x.get(ns, false)
	if sp == nil {
		return false
	}
	sp.mu.Lock()
	defer sp.mu.Unlock()
	r, ok := sp.s.rowOf[tid]
	if ok {
		sp.s.remove(r)
	}
	return ok
}

// RemoveUID removes every template of uid from ns and returns how many it removed.
func (x *Index) RemoveUID(ns, uid string) int {
	sp := x.get(ns, false)
	if sp == nil {
		return 0
	}
	sp.mu.Lock()
	defer sp.mu.Unlock()
	return sp.s.removeUID(uid)
}

// RemoveNamespace drops namespace ns and returns how many templates it held.
func (x *Index) RemoveNamespace(ns string) int {
	x.mu.Lock()
	sp := x.spaces[ns]
	delete(x.spaces, ns)
	x.mu.Unlock()
	if sp == nil {
		return 0
	}
	sp.mu.Lock()
	defer sp.mu.Unlock()
	n := sp.s.len()
	sp.s = newSpace()
	return n
}

// Len returns the number of templates in ns.
func (x *Index) Len(ns string) int {
	sp := x.get(ns, false)
	if sp == nil {
		return 0
	}
	sp.mu.RLock()
	defer sp.mu.RUnlock()
	return sp.s.len()
}

// UIDCount returns how many uids have at least one template in ns.
func (x *Index) UIDCount(ns string) int {
	sp := x.get(ns, false)
	if sp == nil {
		return 0
	}
	sp.mu.RLock()
	defer sp.mu.RUnlock()
	return len(sp.s.uidSlot)
}

// UIDs returns the uids that have at least one template in ns, sorted.
func (x *Index) UIDs(ns string) []string {
	sp := x.get(ns, false)
	if sp == nil {
		return nil
	}
	sp.mu.RLock()
	out := make([]string, 0, len(sp.s.uidSlot))
	for u := range sp.s.uidSlot {
		out = append(out, u)
	}
	sp.mu.RUnlock()
	sort.Strings(out)
	return out
}

// Search returns up to k uids of ns closest to q, each with its best Euclidean distance,
// nearest first. A non-nil filterUIDs restricts the search to the uids it maps to true.
func (x *Index) Search(ns string, q [Dim]float32, k int, filterUIDs map[string]bool) []Match {
	defer x.observeSearch(time.Now())
	sp := x.get(ns, false)
	if sp == nil || k <= 0 {
		return nil
	}
	var qq [Dim]int8
	qs, qn := quantize(&q, &qq)
	sp.mu.RLock()
	defer sp.mu.RUnlock()
	s := sp.s
	n := s.len()
	if n == 0 {
		return nil
	}
	var allowed []bool
	if filterUIDs != nil {
		allowed = make([]bool, len(s.uids))
		any := false
		for uid, ok := range filterUIDs {
			if i, found := s.uidSlot[uid]; ok && found {
				allowed[i] = true
				any = true
			}
		}
		if !any {
			return nil
		}
	}
	workers := 1
	if n >= parallelMin {
		workers = min(runtime.GOMAXPROCS(0), n/(parallelMin/2))
	}
	tops := make([]topK, workers)
	var wg sync.WaitGroup
	chunk := (n + workers - 1) / workers
	for w := range workers {
		lo, hi := w*chunk, min(n, (w+1)*chunk)
		tops[w] = topK{k: k}
		if w == workers-1 {
			scan(s, &qq, qs, qn, lo, hi, allowed, &tops[w])
			continue
		}
		wg.Go(func() { scan(s, &qq, qs, qn, lo, hi, allowed, &tops[w]) })
	}
	wg.Wait()
	merged := topK{k: k}
	for i := range tops {
		for _, e := range tops[i].e {
			merged.offer(e.uid, e.d)
		}
	}
	sort.Slice(merged.e, func(i, j int) bool { return merged.e[i].d < merged.e[j].d })
	out := make([]Match, len(merged.e))
	for i, e := range merged.e {
		out[i] = Match{UID: s.uids[e.uid], Dist: float32(math.Sqrt(float64(max(0, e.d))))}
	}
	return out
}

// scanBlock is how many rows scan scores per kernel call.
const scanBlock = 256

// scan offers rows [lo,hi) to top using squared distances
// |q|² + |x|² − 2·sq·sx·(q·x) over the int8 vectors.
func scan(s *space, q *[Dim]int8, qs, qn float32, lo, hi int, allowed []bool, top *topK) {
	q16 := widen(q)
	var dots [scanBlock]int32
	for b := lo; b < hi; b += scanBlock {
		e := min(hi, b+scanBlock)
		out := dots[:e-b]
		dotBatch(q, &q16, s.slab[b*Dim:e*Dim], out)
		for i, dp := range out {
			r := b + i
			u := s.uidOf[r]
			if allowed != nil && !allowed[u] {
				continue
			}
			d := qn + s.norms[r] - 2*qs*s.scales[r]*float32(dp)
			if len(top.e) < top.k || d < top.worst {
				top.offer(u, d)
			}
		}
	}
}

// topK keeps the k best (uid, squared distance) pairs, one per uid.
type topK struct {
	k     int
	e     []entry
	worst float32
}

type entry struct {
	uid int32
	d   float32
}

func (t *topK) offer(uid int32, d float32) {
	for i := range t.e {
		if t.e[i].uid == uid {
			if d < t.e[i].d {
				t.e[i].d = d
				t.updateWorst()
			}
			return
		}
	}
	if len(t.e) < t.k {
		t.e = append(t.e, entry{uid, d})
		t.updateWorst()
		return
	}
	if d >= t.worst {
		return
	}
	for i := range t.e {
		if t.e[i].d == t.worst {
			t.e[i] = entry{uid, d}
			break
		}
	}
	t.updateWorst()
}

func (t *topK) updateWorst() {
	if len(t.e) < t.k {
		t.worst = float32(math.Inf(1))
		return
	}
	w := t.e[0].d
	for _, e := range t.e[1:] {
		w = max(w, e.d)
	}
	t.worst = w
}
