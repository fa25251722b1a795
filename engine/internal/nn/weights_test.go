package nn

import (
	"encoding/binary"
	"math"
	"strings"
	"testing"
)

func TestLoadWeights(t *testing.T) {
	manifest := `[{"paths":["x.bin"],"weights":[
		{"name":"q","shape":[2,2],"dtype":"float32","quantization":{"dtype":"uint8","scale":0.1,"min":-1.5}},
		{"name":"f","shape":[2],"dtype":"float32"},
		{"name":"i","shape":[1],"dtype":"int32","quantization":{"dtype":"uint8","scale":0.5,"min":0}}]}]`
	bin := []byte{0, 1, 15, 255}
	bin = binary.LittleEndian.AppendUint32(bin, math.Float32bits(3.25))
	bin = binary.LittleEndian.AppendUint32(bin, math.Float32bits(-7))
	bin = append(bin, 5) // 2.5 rounds to 3 (math.Round, half away from zero)
	w, err := LoadWeights([]byte(manifest), bin)
	if err != nil {
		t.Fatal(err)
	}
	for i, q := range []byte{0, 1, 15, 255} {
		want := float32(float64(q)*0.1 - 1.5)
		if got := w["q"].Data[i]; got != want {
			t.Errorf("q[%d] = %v, want %v (bit-exact float32(float64 q*scale+min))", i, got, want)
		}
	}
	if w["f"].Data[0] != 3.25 || w["f"].Data[1] != -7 {
		t.Errorf("raw float32 = %v", w["f"].Data)
	}
	if w["i"].Data[0] != 3 {
		t.Errorf("int32 = %v, want 3", w["i"].Data[0])
	}
	if _, err := w.Get("q", 2, 2); err != nil {
		t.Error(err)
	}
	if _, err := w.Get("q", 4); err == nil {
		t.Error("Get with wrong shape: no error")
	}
	if _, err := w.Get("missing", 1); err == nil {
		t.Error("Get missing: no error")
	}
}

func TestLoadWeightsRejects(t *testing.T) {
	cases := []struct {
		name, manifest string
		bin            []byte
		want           string
	}{
		{"not json", `{`, nil, "manifest"},
		{"short bin", `[{"weights":[{"name":"a","shape":[4],"dtype":"float32"}]}]`, make([]byte, 8), "too short"},
		{"extra bytes", `[{"weights":[{"name":"a","shape":[1],"dtype":"float32"}]}]`, make([]byte, 8), "bin has"},
		{"negative shape", `[{"weights":[{"name":"a","shape":[-1],"dtype":"float32"}]}]`, nil, "bad shape"},
		{"uint16 quant", `[{"weights":[{"name":"a","shape":[1],"dtype":"float32","quantization":{"dtype":"uint16","scale":1,"min":0}}]}]`, make([]byte, 2), "unsupported"},
		{"duplicate", `[{"weights":[{"name":"a","shape":[1],"dtype":"float32"},{"name":"a","shape":[1],"dtype":"float32"}]}]`, make([]byte, 8), "duplicate"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := LoadWeights([]byte(c.manifest), c.bin)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("err = %v, want it to mention %q", err, c.want)
			}
		})
	}
}
