package service

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"math/rand/v2"
	"sort"
	"strings"

	"github.com/facegate/facegate/engine/skyerr"
	"github.com/facegate/facegate/store"
)

// tagFilter is a parsed tags/get filter: "attr:value" terms joined by commas, all of which
// must hold (e.g. "gender:male,glasses:false").
type tagFilter map[string]string

func parseFilter(raw string) (tagFilter, *skyerr.Error) {
	if strings.TrimSpace(raw) == "" {
		return nil, nil
	}
	f := tagFilter{}
	for _, term := range strings.Split(raw, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(term), ":")
		k, v = strings.TrimSpace(strings.ToLower(k)), strings.TrimSpace(strings.ToLower(v))
		if !ok || k == "" || v == "" || !nameRE.MatchString(k) {
			return nil, skyerr.New(skyerr.FilterSyntax, "filter terms are attribute:value separated by commas")
		}
		f[k] = v
	}
	return f, nil
}

func (f tagFilter) keep(t *tagRec) bool {
	for k, v := range f {
		if a, ok := t.Face.Attributes[k]; !ok || strings.ToLower(a.Value) != v {
			return false
		}
	}
	return true
}

// tagsGet implements tags/get: saved tags by uids, pids, urls or uploaded images, grouped by
// photo, at most limit photos, most recent first (or random).
func (s *Service) tagsGet(ctx context.Context, req *Request) (*Response, error) {
	uids, all, err := s.uidsParam(req, false)
	if err != nil {
		return nil, err
	}
	pids, err := s.list(req, "pids")
	if err != nil {
		return nil, err
	}
	urls, err := s.list(req, "urls")
	if err != nil {
		return nil, err
	}
	if !all && len(uids) == 0 && len(pids) == 0 && len(urls) == 0 && len(req.Files) == 0 {
		return nil, skyerr.New(skyerr.MissingArgs, "one of uids, pids, urls or an image is required")
	}
	limit, err := intParam(req, "limit", 5, 1, 1000)
	if err != nil {
		return nil, err
	}
	together, err := boolParam(req, "together", false)
	if err != nil {
		return nil, err
	}
	order := strings.ToLower(param(req, "order"))
	if order != "" && order != "recent" && order != "random" {
		return nil, skyerr.New(skyerr.InvalidArgs, "order must be recent or random")
	}
	filter, err := parseFilter(req.Params["filter"])
	if err != nil {
		return nil, err
	}

	tags := map[string]*tagRec{} // tid → tag
	e := s.st.View(func(tx *store.Tx) error {
		add := func(raw []byte) error {
			var t tagRec
			if err := json.Unmarshal(raw, &t); err != nil {
				return err
			}
			if filter.keep(&t) {
				tags[t.TID] = &t
			}
			return nil
		}
		if all {
			if err := tx.Scan(nsTagPrefix(param(req, "namespace")), func(_ string, raw []byte) error { return add(raw) }); err != nil {
				return err
			}
		}
		for _, u := range uids {
			if err := tx.Scan(uidTagPrefix(u), func(_ string, raw []byte) error { return add(raw) }); err != nil {
				return err
			}
		}
		for _, src := range urls {
			pids = appendPIDs(tx, pids, sourcePrefixOf(req.Owner, src))
		}
		for _, f := range req.Files {
			pids = appendPIDs(tx, pids, sourcePrefixOf(req.Owner, string(f.Data)))
		}
		for _, pid := range pids {
			var photo photoRec
			if err := tx.GetJSON(photoKey(pid), &photo); err != nil || photo.Owner != req.Owner {
				continue // unknown or someone else's photo: nothing to show
			}
			if err := tx.Scan(photoTagPrefix(pid), func(key string, raw []byte) error {
				var ref tagRef
				if err := json.Unmarshal(raw, &ref); err != nil {
					return err
				}
				if !s.mayUse(req, ref.NS) {
					return nil // a tag in a namespace this key may not use
				}
				var t tagRec
				if err := tx.GetJSON(tagKey(ref.uid(), strings.TrimPrefix(key, photoTagPrefix(pid))), &t); err != nil {
					return nil
				}
				if filter.keep(&t) {
					tags[t.TID] = &t
				}
				return nil
			}); err != nil {
				return err
			}
		}
		return nil
	})
	if e != nil {
		return nil, e
	}
	photos, e := s.tagPhotos(tags, uids, together, order, limit)
	if e != nil {
		return nil, e
	}
	return &Response{Photos: photos}, nil
}

// appendPIDs adds the pids of every photo recorded under a source prefix (the same url or
// image may have been analysed several times).
func appendPIDs(tx *store.Tx, pids []string, prefix string) []string {
	keys, _ := tx.Keys(prefix)
	for _, k := range keys {
		pids = append(pids, strings.TrimPrefix(k, prefix))
	}
	return pids
}

// tagPhotos groups tags by photo, applies together/order/limit and renders the photos.
func (s *Service) tagPhotos(tags map[string]*tagRec, uids []uidRef, together bool, order string, limit int) ([]Photo, error) {
	type group struct {
		pid    string
		url    string
		latest int64
		tags   []*tagRec
	}
	byPID := map[string]*group{}
	for _, t := range tags {
		g := byPID[t.PID]
		if g == nil {
			g = &group{pid: t.PID, url: t.URL}
			byPID[t.PID] = g
		}
		g.tags = append(g.tags, t)
		g.latest = max(g.latest, t.Created)
	}
	groups := make([]*group, 0, len(byPID))
	for _, g := range byPID {
		if together && len(uids) > 1 {
			have := map[string]bool{}
			for _, t := range g.tags {
				have[t.UID] = true
			}
			ok := true
			for _, u := range uids {
				ok = ok && have[u.String()]
			}
			if !ok {
				continue
			}
		}
		sort.Slice(g.tags, func(i, j int) bool { return g.tags[i].TID < g.tags[j].TID })
		groups = append(groups, g)
	}
	sort.Slice(groups, func(i, j int) bool {
		if groups[i].latest != groups[j].latest {
			return groups[i].latest > groups[j].latest
		}
		return groups[i].pid < groups[j].pid
	})
	if order == "random" {
		var seed [16]byte
		if _, err := s.opts.Rand.Read(seed[:]); err != nil {
			return nil, err
		}
		r := rand.New(rand.NewPCG(binary.LittleEndian.Uint64(seed[:8]), binary.LittleEndian.Uint64(seed[8:])))
		r.Shuffle(len(groups), func(i, j int) { groups[i], groups[j] = groups[j], groups[i] })
	}
	if len(groups) > limit {
		groups = groups[:limit]
	}
	photos := make([]Photo, 0, len(groups))
	threshold := s.opts.Threshold
	err := s.st.View(func(tx *store.Tx) error {
		for _, g := range groups {
			var rec photoRec
			if err := tx.GetJSON(photoKey(g.pid), &rec); err != nil && !errors.Is(err, store.ErrNotFound) {
				return err
			}
			p := Photo{URL: g.url, PID: g.pid, Width: rec.Width, Height: rec.Height, Tags: make([]Tag, len(g.tags))}
			if rec.URL != "" {
				p.URL = rec.URL
			}
			for i, t := range g.tags {
				tag := wireTag(t.TID, &t.Face)
				tag.Recognizable = t.trainable()
				tag.UIDs = []UIDMatch{{UID: t.UID, Confidence: 100}}
				tag.Threshold = &threshold
				tag.Label = t.Label
				tag.Confirmed = true
				tag.Manual = t.Manual
				if t.Manual {
					tag.EyeLeft, tag.EyeRight, tag.MouthCenter, tag.Nose = nil, nil, nil, nil
				}
				p.Tags[i] = tag
			}
			photos = append(photos, p)
		}
		return nil
	})
	return photos, err
}
