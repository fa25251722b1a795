package index

// space holds one namespace's templates. Row i lives at slab[i*Dim:(i+1)*Dim]; removal moves
// the last row into the hole so the slab stays dense.
type space struct {
	slab   []int8
	scales []float32
	norms  []float32
	uidOf  []int32  // row → uid slot
	tids   []string // row → tid
	rowOf  map[string]int32

	uids     []string // slot → uid ("" when free)
	uidSlot  map[string]int32
	uidCount []int32 // slot → rows
	free     []int32

	// the templates that average n ≥ 2 descriptors (AddTemplate): tid → n, and
	// uid slot → n of its mean template (a uid has one template then)
	meanN    map[string]int32
	uidMeanN map[int32]int32
}

func newSpace() *space {
	return &space{rowOf: map[string]int32{}, uidSlot: map[string]int32{},
		meanN: map[string]int32{}, uidMeanN: map[int32]int32{}}
}

func (s *space) len() int { return len(s.tids) }

func (s *space) slot(uid string) int32 {
	if i, ok := s.uidSlot[uid]; ok {
		return i
	}
	var i int32
	if n := len(s.free); n > 0 {
		i = s.free[n-1]
		s.free = s.free[:n-1]
		s.uids[i] = uid
	} else {
		i = int32(len(s.uids))
		s.uids = append(s.uids, uid)
		s.uidCount = append(s.uidCount, 0)
	}
	s.uidSlot[uid] = i
	return i
}

func (s *space) add(uid, tid string, v *[Dim]float32, n int) {
	var q [Dim]int8
	scale, norm := quantize(v, &q)
	s.addQuantized(uid, tid, &q, scale, norm, n)
}

// addQuantized stores an already quantised template that averages n descriptors.
func (s *space) addQuantized(uid, tid string, q *[Dim]int8, scale, norm float32, n int) {
	if r, ok := s.rowOf[tid]; ok {
		s.remove(r)
	}
	u := s.slot(uid)
	s.rowOf[tid] = int32(len(s.tids))
	s.slab = append(s.slab, q[:]...)
	s.scales = append(s.scales, scale)
	s.norms = append(s.norms, norm)
	s.uidOf = append(s.uidOf, u)
	s.tids = append(s.tids, tid)
	s.uidCount[u]++
	if n >= 2 {
		s.meanN[tid] = int32(min(n, 1<<31-1))
		s.uidMeanN[u] = s.meanN[tid]
	}
}

// remove deletes row r by moving the last row into its place.
func (s *space) remove(r int32) {
	last := int32(len(s.tids) - 1)
	u := s.uidOf[r]
	if _, ok := s.meanN[s.tids[r]]; ok {
		delete(s.meanN, s.tids[r])
		delete(s.uidMeanN, u)
	}
	delete(s.rowOf, s.tids[r])
	if r != last {
		copy(s.slab[int(r)*Dim:int(r+1)*Dim], s.slab[int(last)*Dim:])
		s.scales[r], s.norms[r], s.uidOf[r], s.tids[r] = s.scales[last], s.norms[last], s.uidOf[last], s.tids[last]
		s.rowOf[s.tids[r]] = r
	}
	s.slab = s.slab[:int(last)*Dim]
	s.scales, s.norms, s.uidOf = s.scales[:last], s.norms[:last], s.uidOf[:last]
	s.tids[last] = ""
	s.tids = s.tids[:last]
	s.uidCount[u]--
	if s.uidCount[u] == 0 {
		delete(s.uidSlot, s.uids[u])
		s.uids[u] = ""
		s.free = append(s.free, u)
	}
}

func (s *space) removeUID(uid string) int {
	u, ok := s.uidSlot[uid]
	if !ok {
		return 0
	}
	n := 0
	for r := int32(len(s.tids) - 1); r >= 0; r-- {
		if s.uidOf[r] == u {
			s.remove(r)
			n++
		}
	}
	return n
}
