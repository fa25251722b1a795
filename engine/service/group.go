package service

import (
	"context"
	"math"
	"sort"
)

// face reference inside a faces/group request.
type groupFace struct {
	photo, tag int
	tid        string
	desc       []float32
}

// group implements faces/group: faces of all images clustered by similarity ≥ threshold
// (single linkage); clusters of two or more faces get a gid and, when their members are
// recognised as one of the uids, that uid; the remaining faces form one "ungrouped" entry.
func (s *Service) group(ctx context.Context, req *Request) (*Response, error) {
	ts, err := s.targets(req)
	if err != nil {
		return nil, err
	}
	// SkyBiometry documents 70 as its default on its own scale; facegate's
	// confidences are calibrated so that its recognition threshold means "same
	// person", so the same threshold is the grouping default.
	threshold, err := intParam(req, "threshold", s.opts.Threshold, 0, 100)
	if err != nil {
		return nil, err
	}
	limit, err := intParam(req, "limit", 100, 1, 1000)
	if err != nil {
		return nil, err
	}
	withSim, err := boolParam(req, "return_similarities", false)
	if err != nil {
		return nil, err
	}
	ps, partial, err := s.processImages(ctx, req)
	if err != nil {
		return nil, err
	}
	var faces []groupFace
	var undescribed []string // faces without a descriptor can only be ungrouped
	recThreshold := s.opts.Threshold
	for i := range ps {
		if ps[i].err != nil {
			continue
		}
		for j := range ps[i].photo.Tags {
			tag := &ps[i].photo.Tags[j]
			uids, err := s.match(ts, ps[i].faces[j].Descriptor, limit, 0)
			if err != nil {
				return nil, err
			}
			tag.UIDs = uids
			tag.Threshold = &recThreshold
			if d := ps[i].faces[j].Descriptor; len(d) == 128 {
				faces = append(faces, groupFace{photo: i, tag: j, tid: tag.TID, desc: d})
				continue
			}
			undescribed = append(undescribed, tag.TID)
			if withSim {
				tag.Similarities = []Similarity{}
			}
		}
	}
	n := len(faces)
	parent := make([]int, n)
	for i := range parent {
		parent[i] = i
	}
	var find func(int) int
	find = func(i int) int {
		for parent[i] != i {
			parent[i] = parent[parent[i]]
			i = parent[i]
		}
		return i
	}
	sims := make([][]Similarity, n)
	for a := range n {
		for b := a + 1; b < n; b++ {
			c := s.opts.Confidence(distance(faces[a].desc, faces[b].desc))
			if withSim {
				sims[a] = append(sims[a], Similarity{TID: faces[b].tid, Similarity: c})
				sims[b] = append(sims[b], Similarity{TID: faces[a].tid, Similarity: c})
			}
			if c >= threshold {
				parent[find(a)] = find(b)
			}
		}
	}
	if withSim {
		for i, f := range faces {
			sim := sims[i]
			if sim == nil {
				sim = []Similarity{}
			}
			sort.SliceStable(sim, func(x, y int) bool { return sim[x].Similarity > sim[y].Similarity })
			ps[f.photo].photo.Tags[f.tag].Similarities = sim
		}
	}
	resp := photosResponse(ps, partial)
	resp.Groups = s.buildGroups(ps, faces, find, threshold, undescribed)
	return resp, nil
}

// buildGroups lists clusters in order of their first face, then the ungrouped
// faces: singletons and the faces that have no descriptor.
func (s *Service) buildGroups(ps []processed, faces []groupFace, find func(int) int, threshold int, undescribed []string) []Group {
	members := map[int][]int{}
	var roots []int
	for i := range faces {
		r := find(i)
		if members[r] == nil {
			roots = append(roots, r)
		}
		members[r] = append(members[r], i)
	}
	groups := []Group{}
	var ungrouped []string
	gid := 0
	for _, r := range roots {
		m := members[r]
		if len(m) < 2 {
			ungrouped = append(ungrouped, faces[m[0]].tid)
			continue
		}
		gid++
		g := Group{GID: new(int), TIDs: make([]string, len(m))}
		*g.GID = gid
		votes := map[string]int{}
		for k, i := range m {
			f := faces[i]
			g.TIDs[k] = f.tid
			if u := ps[f.photo].photo.Tags[f.tag].UIDs; len(u) > 0 && u[0].Confidence >= threshold {
				votes[u[0].UID] += u[0].Confidence
			}
		}
		best := 0
		for uid, v := range votes {
			if v > best || (v == best && uid < g.UID) {
				g.UID, best = uid, v
			}
		}
		groups = append(groups, g)
	}
	ungrouped = append(ungrouped, undescribed...)
	if len(ungrouped) > 0 {
		groups = append(groups, Group{TIDs: ungrouped})
	}
	return groups
}

func distance(a, b []float32) float32 {
	var s float64
	for i := range a {
		d := float64(a[i] - b[i])
		s += d * d
	}
	return float32(math.Sqrt(s))
}
