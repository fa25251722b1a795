package service

import (
	"context"
	"crypto/rand"
	"errors"
	"io"
	"math"
	"sync"
	"sync/atomic"
	"time"

	"go.uber.org/zap"

	"github.com/facegate/facegate/engine/index"
	"github.com/facegate/facegate/engine/skyerr"
	"github.com/facegate/facegate/store"
)

// DefaultThreshold is the recommended confidence cut-off of DefaultConfidence.
const DefaultThreshold = 50

// DefaultConfidence maps a Euclidean descriptor distance to SkyBiometry's 0-100 confidence:
// linear, 100 at distance 0, 50 at 0.6 (the dlib/face-api same-person threshold), 0 from 1.2.
// A calibrated mapping replaces it through Options.Confidence.
func DefaultConfidence(d float32) int {
	if math.IsNaN(float64(d)) {
		return 0
	}
	c := 100 * (1 - float64(d)/1.2)
	return int(math.Round(max(0, min(100, c))))
}

// Options configures a Service.
type Options struct {
	// NamespaceOwner reports who owns a namespace (the keyring's nsreg/<name>); required.
	NamespaceOwner func(ns string) (owner string, ok bool)
	// Namespaces lists the namespaces of an owner (account/namespaces, DeleteOwner); optional.
	Namespaces func(owner string) []string
	// NamespaceLimit is reported by account/limits as namespace_limit (0 = not reported).
	NamespaceLimit int
	// Confidence maps a descriptor distance to 0-100; default DefaultConfidence.
	Confidence func(d float32) int
	// SearchConfidence, when set, gives the confidence of a candidate found at distance d
	// in a search of n uids (faces/recognize, faces/group); its scale must already account
	// for n (e.g. faceapi.SearchConfidence, a calibrated expected false-accept rate), so the
	// recommended threshold is Threshold whatever n is. When nil, candidates get
	// Confidence(d) and the threshold rises with n (thresholdForList).
	SearchConfidence func(d float32, n int) int
	// TemplateDistance, when set, puts the distance d to a uid's mean template of k ≥ 2
	// tags (TemplateScheme) back on the scale of one descriptor before Confidence or
	// SearchConfidence see it, and candidates are ranked by it (e.g.
	// faceapi.MeanTemplateDistance). When nil, the distance is used as it is.
	TemplateDistance func(d float32, k int) float32
	// CohortOffset, when set with SearchConfidence, is subtracted from the distance of
	// every candidate of a search among n uids before SearchConfidence sees it; cohort
	// holds the same search's 2nd, 3rd, ... nearest distances after TemplateDistance,
	// nearest first, at least 15 of them when the uids searched have that many (e.g.
	// faceapi.CohortOffset). The candidates keep their order.
	CohortOffset func(cohort []float32, n int) float32
	// Threshold is the recommended confidence returned with matches; default DefaultThreshold.
	Threshold int
	// MaxImages bounds the images of one call (default 10).
	MaxImages int
	// MaxList bounds comma lists such as uids and tids (default 1000).
	MaxList int
	// TempTTL is how long temporary tags live (default 24 h).
	TempTTL time.Duration
	// Now is the clock (default time.Now).
	Now func() time.Time
	// Rand is the source of random ids (default crypto/rand).
	Rand io.Reader
	// Logger may be nil. Descriptors and image bytes are never logged.
	Logger *zap.Logger
}

// Service implements the SkyBiometry methods over a store and an index.
type Service struct {
	st   *store.Store
	idx  *index.Index
	an   Analyzer
	fe   Fetcher
	opts Options
	log  *zap.Logger

	// wmu serialises writes that must stay in step with the index (train, remove, erase).
	wmu sync.Mutex
	// maxImages is opts.MaxImages, changed by SetMaxImages on a config reload.
	maxImages atomic.Int64
}

// SetMaxImages changes how many images one call may carry (values below 1
// keep the current bound); calls already running keep the bound they saw.
func (s *Service) SetMaxImages(n int) {
	if n > 0 {
		s.maxImages.Store(int64(n))
	}
}

// New returns a Service. The index should already be loaded from st (index.Load).
func New(st *store.Store, idx *index.Index, an Analyzer, fe Fetcher, opts Options) (*Service, error) {
	if st == nil || idx == nil {
		return nil, errors.New("new service: store and index are required")
	}
	if opts.NamespaceOwner == nil {
		return nil, errors.New("new service: NamespaceOwner is required")
	}
	if opts.Confidence == nil {
		opts.Confidence = DefaultConfidence
		if opts.Threshold == 0 {
			opts.Threshold = DefaultThreshold
		}
	}
	if opts.Threshold <= 0 || opts.Threshold > 100 {
		opts.Threshold = DefaultThreshold
	}
	if opts.MaxImages <= 0 {
		opts.MaxImages = 10
	}
	if opts.MaxList <= 0 {
		opts.MaxList = 1000
	}
	if opts.TempTTL <= 0 {
		opts.TempTTL = 24 * time.Hour
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Rand == nil {
		opts.Rand = rand.Reader
	}
	log := opts.Logger
	if log == nil {
		log = zap.NewNop()
	}
	svc := &Service{st: st, idx: idx, an: an, fe: fe, opts: opts, log: log}
	svc.maxImages.Store(int64(opts.MaxImages))
	return svc, nil
}

type handler func(s *Service, ctx context.Context, req *Request) (*Response, error)

var methods = map[string]handler{
	"faces/detect":         (*Service).detect,
	"faces/recognize":      (*Service).recognize,
	"faces/group":          (*Service).group,
	"faces/train":          (*Service).train,
	"faces/status":         (*Service).status,
	"tags/save":            (*Service).tagsSave,
	"tags/add":             (*Service).tagsAdd,
	"tags/get":             (*Service).tagsGet,
	"tags/remove":          (*Service).tagsRemove,
	"account/authenticate": (*Service).authenticate,
	"account/limits":       (*Service).limits,
	"account/users":        (*Service).users,
	"account/namespaces":   (*Service).namespaces,
	"extensions/erase":     (*Service).erase,
}

// imageMethods are the methods whose images count towards the quota.
var imageMethods = map[string]bool{"faces/detect": true, "faces/recognize": true, "faces/group": true}

// Call runs one API method. A failure is returned as an *skyerr.Error (never nil-wrapped) and the
// store is unchanged by a failed call.
func (s *Service) Call(ctx context.Context, req *Request) (*Response, error) {
	if req == nil {
		return nil, skyerr.New(skyerr.MissingArgs, "empty request")
	}
	h, ok := methods[req.Method]
	if !ok {
		return nil, skyerr.New(skyerr.UnknownMethod, "unknown method "+truncate(req.Method, 64))
	}
	if req.Params == nil {
		req.Params = map[string]string{}
	}
	resp, err := h(s, ctx, req)
	if err != nil {
		e := asError(err)
		if e.Code == skyerr.Internal {
			s.log.Error("api call failed", zap.String("method", req.Method), zap.Error(err))
		}
		return nil, e
	}
	if resp.Status == "" {
		resp.Status = "success"
	}
	return resp, nil
}

// Images is how many images a call carries: its uploaded files plus the entries of its
// comma-separated urls. The service bounds it (Options.MaxImages) for the image methods; the
// gateway counts calls the same way for its policies (the quota's cost) before calling.
func Images(files []File, urls string) int { return len(files) + len(splitList(urls)) }

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}
