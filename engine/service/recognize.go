package service

import (
	"context"
	"fmt"
	"math"
	"sort"

	"github.com/facegate/facegate/engine/skyerr"
)

// target is where recognition searches: a namespace and an optional uid filter (nil = all).
type target struct {
	ns     string
	filter map[string]bool
}

// targets turns the uids parameter into per-namespace searches.
func (s *Service) targets(req *Request) ([]target, *skyerr.Error) {
	uids, all, err := s.uidsParam(req, true)
	if err != nil {
		return nil, err
	}
	if all {
		return []target{{ns: param(req, "namespace")}}, nil
	}
	byNS := map[string]map[string]bool{}
	var order []string
	for _, u := range uids {
		if byNS[u.ns] == nil {
			byNS[u.ns] = map[string]bool{}
			order = append(order, u.ns)
		}
		byNS[u.ns][u.String()] = true
	}
	out := make([]target, len(order))
	for i, ns := range order {
		out[i] = target{ns: ns, filter: byNS[ns]}
	}
	return out, nil
}

// match returns up to limit candidates for descriptor d, best first, with confidence ≥ min
// (matching_threshold). With Options.SearchConfidence the confidence is calibrated for the
// number of uids searched, so min bounds the expected false-accept rate of the answer.
// With Options.TemplateDistance a uid's mean template is scored on the scale of one
// descriptor (the index ranks by raw distance, so a few more candidates are asked for and
// ranked again). With Options.CohortOffset every candidate's distance is then moved by
// the same offset, from the search's next distances (its 2nd, 3rd, ... nearest; at least
// rerankMin candidates are asked for). The index holds each mean template's size, so nothing is
// read from the store, except for a mean stored before its size was kept with it
// (templateSizes), whose read error fails the search.
func (s *Service) match(ts []target, d []float32, limit, minConf int) ([]UIDMatch, error) {
	out := []UIDMatch{}
	q, ok := vec128(d)
	if !ok {
		return out, nil
	}
	conf := s.opts.Confidence
	n := 0
	if s.opts.SearchConfidence != nil {
		n = s.searched(ts)
		conf = func(d float32) int { return s.opts.SearchConfidence(d, n) }
	}
	cohort := s.opts.CohortOffset != nil && s.opts.SearchConfidence != nil
	type scored struct {
		uid  string
		dist float32
	}
	var all []scored
	for _, t := range ts {
		k := limit
		if s.opts.TemplateDistance != nil || cohort {
			k = max(limit, rerankMin)
		}
		ms := s.idx.Search(t.ns, q, k, t.filter)
		var sizes map[string]int
		if s.opts.TemplateDistance != nil && len(ms) > 0 {
			// The correction only lowers a confidence: a candidate already under
			// matching_threshold (or at 0) is left as it is, unless the cohort may
			// move it back up.
			uids := make([]string, 0, len(ms))
			for _, m := range ms {
				if cohort {
					uids = append(uids, m.UID)
				} else if c := conf(m.Dist); c > 0 && c >= minConf {
					uids = append(uids, m.UID)
				}
			}
			var err error
			if sizes, err = s.templateSizes(t.ns, uids); err != nil {
				return nil, fmt.Errorf("match: %w", err)
			}
		}
		for _, m := range ms {
			if k := sizes[m.UID]; k >= 2 {
				m.Dist = s.opts.TemplateDistance(m.Dist, k)
			}
			all = append(all, scored{m.UID, m.Dist})
		}
	}
	sort.SliceStable(all, func(i, j int) bool { return all[i].dist < all[j].dist })
	var offset float32
	if cohort && len(all) > 1 {
		next := make([]float32, len(all)-1) // every distance after the best, nearest first
		for i, c := range all[1:] {
			next[i] = c.dist
		}
		offset = s.opts.CohortOffset(next, n)
	}
	for _, c := range all {
		if len(out) == limit {
			break
		}
		if cf := conf(c.dist - offset); cf >= minConf {
			out = append(out, UIDMatch{UID: c.uid, Confidence: cf})
		}
	}
	return out, nil
}

// rerankMin is how many candidates a search with Options.TemplateDistance or
// Options.CohortOffset takes from the index at least: enough to rank mean templates
// again on their corrected distances, and a cohort of the ten after the best.
const rerankMin = 16

// searched is the number of uids a search of the targets compares with.
func (s *Service) searched(ts []target) int {
	n := 0
	for _, t := range ts {
		if t.filter != nil {
			n += len(t.filter)
		} else {
			n += s.idx.UIDCount(t.ns)
		}
	}
	return n
}

// listThreshold is the recommended confidence cut-off for a search among
// the targets' uids. SkyBiometry's threshold "depends on face quality and
// uid-list size": every extra candidate is one more chance that a stranger
// resembles somebody. With Options.SearchConfidence the confidence itself
// accounts for the number of uids, so the threshold is Options.Threshold (an
// expected false-accept rate). Otherwise the cut-off rises with the number of
// uids searched: the threshold for one uid, then 20 points per decade, at most 95.
// Measured with `go run ./tests/bench open-set` (BENCHMARKS.md).
func (s *Service) listThreshold(ts []target) int {
	if s.opts.SearchConfidence != nil {
		return s.opts.Threshold
	}
	return thresholdForList(s.opts.Threshold, s.searched(ts))
}

// thresholdForList raises base by 20 per decade of n candidates, capped at 95.
func thresholdForList(base, n int) int {
	if n <= 1 {
		return base
	}
	t := base + int(math.Round(20*math.Log10(float64(n))))
	return min(max(t, base), max(base, 95))
}

// recognize implements faces/recognize: detect plus per-tag candidates among trained uids.
func (s *Service) recognize(ctx context.Context, req *Request) (*Response, error) {
	ts, err := s.targets(req)
	if err != nil {
		return nil, err
	}
	limit, err := intParam(req, "limit", 100, 1, 1000)
	if err != nil {
		return nil, err
	}
	minConf, err := intParam(req, "matching_threshold", 0, 0, 100)
	if err != nil {
		return nil, err
	}
	ps, partial, err := s.processImages(ctx, req)
	if err != nil {
		return nil, err
	}
	threshold := s.listThreshold(ts)
	for i := range ps {
		for j := range ps[i].photo.Tags {
			if ps[i].err != nil {
				continue
			}
			tag := &ps[i].photo.Tags[j]
			uids, err := s.match(ts, ps[i].faces[j].Descriptor, limit, minConf)
			if err != nil {
				return nil, err
			}
			tag.UIDs = uids
			tag.Threshold = &threshold
		}
	}
	return photosResponse(ps, partial), nil
}
