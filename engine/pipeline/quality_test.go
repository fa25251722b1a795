package pipeline

import (
	"image"
	"testing"

	"github.com/facegate/facegate/engine/detect"
)

func TestQualityGate(t *testing.T) {
	ok := Quality{Side: 120, Score: 90, Yaw: 10, Pitch: -5}
	tests := []struct {
		name string
		edit func(q *Quality)
		want bool
	}{
		{"frontal, large, confident", func(q *Quality) {}, true},
		{"side at the floor", func(q *Quality) { q.Side = MinSide }, true},
		{"too small", func(q *Quality) { q.Side = MinSide - 0.5 }, false},
		{"score at the floor", func(q *Quality) { q.Score = MinScore }, true},
		{"weak detection", func(q *Quality) { q.Score = MinScore - 1 }, false},
		{"turned 55°", func(q *Quality) { q.Yaw = -55 }, true},
		{"profile", func(q *Quality) { q.Yaw = MaxYaw + 1 }, false},
		{"looking up 40°", func(q *Quality) { q.Pitch = 40 }, true},
		{"looking down steeply", func(q *Quality) { q.Pitch = -(MaxPitch + 1) }, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q := ok
			tt.edit(&q)
			if got := q.Recognizable(); got != tt.want {
				t.Fatalf("%+v: recognizable %v, want %v", q, got, tt.want)
			}
		})
	}
	t.Run("detected faces", func(t *testing.T) {
		var pts [68]detect.Point
		net := detect.Face{Box: image.Rect(0, 0, 100, 120), Confidence: 45, Yaw: 50, Landmarks: &pts}
		if !recognizable(net) {
			t.Fatal("a face the landmark net placed: the pipeline's gate applies, and passes it")
		}
		net.Yaw = 70
		net.Recognizable = true
		if recognizable(net) {
			t.Fatal("a profile passed the pipeline's gate")
		}
		cascade := detect.Face{Box: image.Rect(0, 0, 100, 120), Confidence: 90, Recognizable: false}
		if recognizable(cascade) {
			t.Fatal("a face placed by the cascades: detect's verdict must stand")
		}
	})
}
