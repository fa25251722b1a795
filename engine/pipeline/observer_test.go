package pipeline

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/facegate/facegate/engine/service"
)

// stageLog records what an Observer receives.
type stageLog struct {
	mu    sync.Mutex
	count map[Stage]int
	total map[Stage]time.Duration
}

func (l *stageLog) observe(s Stage, d time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.count[s]++
	l.total[s] += d
}

func TestObserverSeesEveryStage(t *testing.T) {
	data := lfwImage(t, "Aaron_Sorkin", 1)
	log := &stageLog{count: map[Stage]int{}, total: map[Stage]time.Duration{}}
	a, err := New(Options{Observe: log.observe})
	if err != nil {
		t.Fatal(err)
	}
	got, err := a.Analyze(context.Background(), data, service.AnalyzeOptions{Describe: true, Attributes: []string{"all"}})
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Faces) == 0 || !got.Faces[0].Recognizable {
		t.Fatalf("%d faces; the first must be recognizable for this test", len(got.Faces))
	}
	if log.count[StageDecode] != 1 || log.count[StageDetect] != 1 {
		t.Errorf("decode seen %d times, detect %d, want once each per image", log.count[StageDecode], log.count[StageDetect])
	}
	for _, s := range []Stage{StageLandmarks, StageDescriptor, StageAttributes} {
		if log.count[s] < 1 || log.count[s] > len(got.Faces) {
			t.Errorf("%s seen %d times for %d faces", s, log.count[s], len(got.Faces))
		}
	}
	for _, s := range Stages {
		if log.count[s] > 0 && log.total[s] <= 0 {
			t.Errorf("%s: total duration %v", s, log.total[s])
		}
	}

	// A bad image is timed at decode and goes no further.
	log = &stageLog{count: map[Stage]int{}, total: map[Stage]time.Duration{}}
	a.opts.Observe = log.observe
	if _, err := a.Analyze(context.Background(), []byte("not an image"), service.AnalyzeOptions{}); err == nil {
		t.Fatal("garbage decoded")
	}
	if log.count[StageDecode] != 1 || log.count[StageDetect] != 0 {
		t.Errorf("bad image: %v", log.count)
	}
}

func TestNoObserverIsFine(t *testing.T) {
	var o Observer
	start := time.Now()
	if next := o.since(StageDecode, start); next.Before(start) {
		t.Error("since went back in time")
	}
}
