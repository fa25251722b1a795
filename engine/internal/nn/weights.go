package nn

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"
)

// Weights maps tensor names from a tfjs weight manifest to their float32 values.
type Weights map[string]*Param

// Param is one named weight tensor: its tfjs shape and its values in row-major order.
type Param struct {
	Shape []int
	Data  []float32
}

type manifestGroup struct {
	Paths   []string         `json:"paths"`
	Weights []manifestWeight `json:"weights"`
}

type manifestWeight struct {
	Name         string        `json:"name"`
	Shape        []int         `json:"shape"`
	Dtype        string        `json:"dtype"`
	Quantization *quantization `json:"quantization"`
}

type quantization struct {
	Dtype string  `json:"dtype"`
	Scale float64 `json:"scale"`
	Min   float64 `json:"min"`
}

// LoadWeights decodes a tfjs weights manifest (a JSON array of groups) and the
// concatenation of its .bin files. Quantised uint8 tensors are dequantised exactly as tfjs
// does: float32(float64(q)*scale + min). int32 tensors are rounded to integers.
func LoadWeights(manifest, bin []byte) (Weights, error) {
	var groups []manifestGroup
	if err := json.Unmarshal(manifest, &groups); err != nil {
		return nil, fmt.Errorf("decoding weights manifest: %w", err)
	}
	w := Weights{}
	off := 0
	for _, g := range groups {
		for _, mw := range g.Weights {
			n := 1
			for _, d := range mw.Shape {
				if d < 0 || (d > 0 && n > math.MaxInt32/d) {
					return nil, fmt.Errorf("weight %q: bad shape %v", mw.Name, mw.Shape)
				}
				n *= d
			}
			p := &Param{Shape: append([]int(nil), mw.Shape...), Data: make([]float32, n)}
			var err error
			off, err = decodeTensor(p.Data, mw, bin, off)
			if err != nil {
				return nil, err
			}
			if _, dup := w[mw.Name]; dup {
				return nil, fmt.Errorf("weight %q: duplicate name", mw.Name)
			}
			w[mw.Name] = p
		}
	}
	if off != len(bin) {
		return nil, fmt.Errorf("weights: manifest covers %d bytes, bin has %d", off, len(bin))
	}
	return w, nil
}

func decodeTensor(dst []float32, mw manifestWeight, bin []byte, off int) (int, error) {
	n := len(dst)
	if q := mw.Quantization; q != nil {
		if q.Dtype != "uint8" {
			return 0, fmt.Errorf("weight %q: unsupported quantization %q", mw.Name, q.Dtype)
		}
		if off+n > len(bin) {
			return 0, fmt.Errorf("weight %q: bin too short", mw.Name)
		}
		for i, b := range bin[off : off+n] {
			v := float64(b)*q.Scale + q.Min
			if mw.Dtype == "int32" {
				v = math.Round(v)
			}
			dst[i] = float32(v)
		}
		return off + n, nil
	}
	if mw.Dtype != "float32" && mw.Dtype != "int32" {
		return 0, fmt.Errorf("weight %q: unsupported dtype %q", mw.Name, mw.Dtype)
	}
	if off+4*n > len(bin) {
		return 0, fmt.Errorf("weight %q: bin too short", mw.Name)
	}
	for i := range dst {
		u := binary.LittleEndian.Uint32(bin[off+4*i:])
		if mw.Dtype == "int32" {
			dst[i] = float32(int32(u))
		} else {
			dst[i] = math.Float32frombits(u)
		}
	}
	return off + 4*n, nil
}

// Get returns the named tensor after checking its shape; want entries of -1 match any size.
func (w Weights) Get(name string, want ...int) (*Param, error) {
	p, ok := w[name]
	if !ok {
		return nil, fmt.Errorf("weight %q: missing", name)
	}
	if len(want) != len(p.Shape) {
		return nil, fmt.Errorf("weight %q: shape %v, want %v", name, p.Shape, want)
	}
	for i, d := range want {
		if d >= 0 && p.Shape[i] != d {
			return nil, fmt.Errorf("weight %q: shape %v, want %v", name, p.Shape, want)
		}
	}
	return p, nil
}
