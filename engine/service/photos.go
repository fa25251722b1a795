package service

import (
	"context"
	"errors"
	"math"
	"strings"

	"github.com/facegate/facegate/engine/skyerr"
	"github.com/facegate/facegate/store"
)

// processed is one input image after analysis: the wire photo (tags filled by the caller's
// method), its faces and their temporary tids. err is set when the image failed.
type processed struct {
	photo Photo
	faces []Face
	tids  []string
	err   *skyerr.Error
}

// analyzeOptions reads detector, attributes and detect_all_feature_points.
func analyzeOptions(req *Request) (AnalyzeOptions, *skyerr.Error) {
	opt := AnalyzeOptions{Describe: true}
	switch d := strings.ToLower(param(req, "detector")); d {
	case "", "normal":
		opt.Detector = "normal"
	case "aggressive":
		opt.Detector = "aggressive"
	default:
		return opt, skyerr.New(skyerr.InvalidArgs, "detector must be normal or aggressive")
	}
	opt.Attributes = splitList(strings.ToLower(param(req, "attributes")))
	all, err := boolParam(req, "detect_all_feature_points", false)
	if err != nil {
		return opt, err
	}
	opt.AllPoints = all
	return opt, nil
}

// processImages analyses every uploaded file and url of req, stores a photo record and the
// temporary tags of each successful image, and returns them in input order (files first).
// It fails only when the request itself is bad or every image failed.
func (s *Service) processImages(ctx context.Context, req *Request) ([]processed, bool, *skyerr.Error) {
	opt, urls, err := s.imageInputs(req)
	if err != nil {
		return nil, false, err
	}
	n := len(req.Files) + len(urls)
	out := make([]processed, 0, n)
	failed := 0
	for i := range n {
		var p processed
		var data []byte
		var source string
		if i < len(req.Files) {
			data, source = req.Files[i].Data, string(req.Files[i].Data)
		} else {
			u := urls[i-len(req.Files)]
			p.photo.URL, source = u, u
			data, p.err = s.fetch(ctx, u)
		}
		if p.err == nil {
			p.err = s.analyzeOne(ctx, req, data, source, opt, &p)
		}
		if p.err != nil {
			failed++
			p.photo.ErrorCode, p.photo.ErrorMessage = p.err.Code, p.err.Error()
			p.photo.Tags = []Tag{}
		}
		out = append(out, p)
	}
	if failed == n {
		return nil, false, out[0].err
	}
	return out, failed > 0, nil
}

func (s *Service) fetch(ctx context.Context, u string) ([]byte, *skyerr.Error) {
	if s.fe == nil {
		return nil, skyerr.New(skyerr.Download, "downloading urls is not enabled")
	}
	data, err := s.fe.Fetch(ctx, u)
	if err != nil {
		var e *skyerr.Error
		if errors.As(err, &e) {
			return nil, e
		}
		return nil, skyerr.New(skyerr.Download, "download failed")
	}
	return data, nil
}

// analyzeOne analyses data and stores the photo and its temporary tags atomically.
func (s *Service) analyzeOne(ctx context.Context, req *Request, data []byte, source string, opt AnalyzeOptions, p *processed) *skyerr.Error {
	an, err := s.an.Analyze(ctx, data, opt)
	if err != nil {
		if ctx.Err() != nil {
			return skyerr.New(skyerr.Unavailable, "request cancelled")
		}
		return asError(err)
	}
	pid, err := s.newPID()
	if err != nil {
		return asError(err)
	}
	now := s.opts.Now().Unix()
	p.photo.PID, p.photo.Width, p.photo.Height = pid, an.Width, an.Height
	p.faces = an.Faces
	p.tids = make([]string, len(an.Faces))
	for i := range an.Faces {
		f := &an.Faces[i]
		if len(f.Descriptor) != 0 && len(f.Descriptor) != 128 {
			f.Descriptor = nil
		}
		if f.Descriptor == nil {
			f.Recognizable = false
		}
		p.tids[i] = tempTID(pid, f, i)
	}
	err = s.st.Update(func(tx *store.Tx) error {
		if err := tx.PutJSON(photoKey(pid), photoRec{PID: pid, Owner: req.Owner, URL: p.photo.URL, Width: an.Width, Height: an.Height, Created: now}, 0); err != nil {
			return err
		}
		if err := tx.PutJSON(ownerPhotoKey(req.Owner, pid), 1, 0); err != nil {
			return err
		}
		if err := tx.PutJSON(sourceKey(req.Owner, source, pid), 1, 0); err != nil {
			return err
		}
		for i, tid := range p.tids {
			rec := tempRec{TID: tid, PID: pid, Owner: req.Owner, Face: an.Faces[i], Created: now}
			if err := tx.PutJSON(tempKey(tid), rec, s.opts.TempTTL); err != nil {
				return err
			}
			if err := tx.PutJSON(ownerTempKey(req.Owner, tid), 1, s.opts.TempTTL); err != nil {
				return err
			}
		}
		return nil
	})
	if errors.Is(err, store.ErrUnavailable) {
		// A shared store that is down does not stop detection: the faces are
		// answered, but not recorded, so their tids cannot be saved later.
		s.log.Warn("the store is unavailable: photo analysed but not recorded")
	} else if err != nil {
		return asError(err)
	}
	p.photo.Tags = make([]Tag, len(an.Faces))
	for i := range an.Faces {
		p.photo.Tags[i] = wireTag(p.tids[i], &an.Faces[i])
	}
	return nil
}

// wireTag renders a face as a SkyBiometry tag with percent values rounded to 2 decimals.
func wireTag(tid string, f *Face) Tag {
	t := Tag{
		TID:          tid,
		Recognizable: f.Recognizable,
		UIDs:         []UIDMatch{},
		Width:        round2(f.Width),
		Height:       round2(f.Height),
		Yaw:          math.Round(finite(f.Yaw)),
		Roll:         math.Round(finite(f.Roll)),
		Pitch:        math.Round(finite(f.Pitch)),
		Center:       Center{X: round2(f.CenterX), Y: round2(f.CenterY)},
		EyeLeft:      wirePoint(f.EyeLeft),
		EyeRight:     wirePoint(f.EyeRight),
		MouthCenter:  wirePoint(f.Mouth),
		Nose:         wirePoint(f.Nose),
		Attributes:   f.Attributes,
	}
	if t.Attributes == nil {
		t.Attributes = map[string]Attribute{}
	}
	if f.Points != nil {
		t.Points = make([]Point, len(f.Points))
		for i, p := range f.Points {
			t.Points[i] = *wirePoint(p)
		}
	}
	return t
}

func wirePoint(p Point) *Point {
	return &Point{X: round2(p.X), Y: round2(p.Y), Confidence: p.Confidence, ID: p.ID}
}

func finite(x float64) float64 {
	if math.IsNaN(x) || math.IsInf(x, 0) {
		return 0
	}
	return x
}

func vec128(d []float32) ([128]float32, bool) {
	var v [128]float32
	if len(d) != 128 {
		return v, false
	}
	copy(v[:], d)
	return v, true
}
