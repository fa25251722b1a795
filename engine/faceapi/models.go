package faceapi

import (
	"fmt"
	"io/fs"
	"sync"
	"sync/atomic"

	"github.com/facegate/facegate/engine/internal/nn"
	weights "github.com/facegate/facegate/engine/models/faceapi"
)

// Models holds the loaded networks. It is safe for concurrent use: each call takes its own
// scratch arena from a pool, so after warm-up inference allocates (almost) nothing.
type Models struct {
	recog     *recognitionNet
	landmark  *denseNet
	expr      *denseNet
	ageGender *ageGenderNet
	arenas    sync.Pool
	params    int
	arenaMax  atomic.Int64
}

var (
	loadOnce   sync.Once
	loaded     *Models
	loadFailed error
)

// Load returns the networks decoded from the embedded model files. The files are decoded
// once per process; later calls return the same *Models.
func Load() (*Models, error) {
	loadOnce.Do(func() { loaded, loadFailed = LoadFS(weights.Files) })
	return loaded, loadFailed
}

// LoadFS decodes the four networks from a file system holding face-api's
// <name>-weights_manifest.json and <name>.bin files.
func LoadFS(fsys fs.FS) (*Models, error) {
	m := &Models{}
	m.arenas.New = func() any { return new(nn.Arena) }
	read := func(name string) (nn.Weights, error) {
		man, err := fs.ReadFile(fsys, name+"-weights_manifest.json")
		if err != nil {
			return nil, fmt.Errorf("loading %s: %w", name, err)
		}
		bin, err := fs.ReadFile(fsys, name+".bin")
		if err != nil {
			return nil, fmt.Errorf("loading %s: %w", name, err)
		}
		w, err := nn.LoadWeights(man, bin)
		if err != nil {
			return nil, fmt.Errorf("loading %s: %w", name, err)
		}
		for _, p := range w {
			m.params += len(p.Data)
		}
		return w, nil
	}
	w, err := read("face_recognition_model")
	if err != nil {
		return nil, err
	}
	if m.recog, err = newRecognitionNet(w); err != nil {
		return nil, fmt.Errorf("face_recognition_model: %w", err)
	}
	if w, err = read("face_landmark_68_model"); err != nil {
		return nil, err
	}
	if m.landmark, err = newDenseNet(w, 136); err != nil {
		return nil, fmt.Errorf("face_landmark_68_model: %w", err)
	}
	if w, err = read("face_expression_model"); err != nil {
		return nil, err
	}
	if m.expr, err = newDenseNet(w, 7); err != nil {
		return nil, fmt.Errorf("face_expression_model: %w", err)
	}
	if w, err = read("age_gender_model"); err != nil {
		return nil, err
	}
	if m.ageGender, err = newAgeGenderNet(w); err != nil {
		return nil, fmt.Errorf("age_gender_model: %w", err)
	}
	return m, nil
}

// WeightBytes reports the memory held by the decoded float32 weights of all four nets.
func (m *Models) WeightBytes() int { return 4 * m.params }

func (m *Models) arena() *nn.Arena {
	a := m.arenas.Get().(*nn.Arena)
	a.Reset()
	return a
}

func (m *Models) release(a *nn.Arena) {
	if n := int64(a.Size()); n > m.arenaMax.Load() {
		m.arenaMax.Store(n) // a racy max is fine for a statistic
	}
	m.arenas.Put(a)
}

// ScratchBytes reports the largest per-call scratch memory (activations and im2col
// buffers) seen so far; each concurrent inference holds one such arena.
func (m *Models) ScratchBytes() int { return int(m.arenaMax.Load()) }
