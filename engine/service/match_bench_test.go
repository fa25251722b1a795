package service

import (
	"fmt"
	"testing"

	"github.com/facegate/facegate/engine/faceapi"
)

// BenchmarkMatch measures the candidates of one face among 1,000 uids of two tags each
// (their mean templates), with and without Options.TemplateDistance (which looks up the
// candidates' template sizes in the index and ranks 16 of them again), and with the
// product's calibrated scoring without and with the cohort offset (faceapi.CohortOffset,
// computed once per search from the same candidates). Compare them in one run; on a
// loaded machine compare the cpu-ns/op column (the process's CPU time per search):
// go test ./engine/service -run '^$' -bench Match -benchtime 2000x
func BenchmarkMatch(b *testing.B) {
	e := newEnv(b)
	for i := range 1000 {
		uid := fmt.Sprintf("p%04d@ns", i)
		for noise := range 2 {
			d := e.call("faces/detect", nil, img(person(fmt.Sprint("p", i), noise, 50)))
			e.call("tags/save", map[string]string{"uid": uid, "tids": d.Photos[0].Tags[0].TID})
		}
	}
	e.call("faces/train", map[string]string{"uids": "all", "namespace": "ns"})
	q := identity("p7", 9)
	ts := []target{{ns: "ns"}}
	for _, tt := range []struct {
		name   string
		td     func(float32, int) float32
		sc     func(float32, int) int
		cohort func([]float32, int) float32
	}{
		{"raw distance", nil, nil, nil},
		{"mean template distance", func(d float32, k int) float32 { return d + 0.01*float32(k) }, nil, nil},
		{"calibrated", faceapi.MeanTemplateDistance, faceapi.SearchConfidence, nil},
		{"calibrated with cohort", faceapi.MeanTemplateDistance, faceapi.SearchConfidence, faceapi.CohortOffset},
	} {
		b.Run(tt.name, func(b *testing.B) {
			e.svc.opts.TemplateDistance = tt.td
			e.svc.opts.SearchConfidence, e.svc.opts.CohortOffset = tt.sc, tt.cohort
			b.ReportAllocs()
			cpu := processCPU()
			for b.Loop() {
				if m, err := e.svc.match(ts, q, 10, 0); err != nil || len(m) == 0 || m[0].UID != "p0007@ns" {
					b.Fatalf("%+v %v", m, err)
				}
			}
			if cpu > 0 {
				b.ReportMetric(float64(processCPU()-cpu)/float64(b.N), "cpu-ns/op")
			}
		})
	}
}
