package service

import (
	"fmt"
	"sync"
	"testing"
	"time"
)

// TestConcurrentCalls runs enrolment, recognition and removal from several goroutines; run
// with -race. Every enrolled uid must be trained and recognisable afterwards.
func TestConcurrentCalls(t *testing.T) {
	e := newEnv(t)
	now := e.now
	e.svc.opts.Now = func() time.Time { return now } // the env clock is not goroutine-safe
	const workers = 4
	var wg sync.WaitGroup
	errs := make(chan error, workers*8)
	for w := range workers {
		wg.Go(func() {
			uid := fmt.Sprintf("p%d@ns", w)
			for round := range 3 {
				d, err := e.try("alice-co", "faces/detect", nil, img(person(fmt.Sprint("p", w), round, 50), person("noise", round, 20)))
				if err != nil {
					errs <- err
					return
				}
				if _, err := e.try("alice-co", "tags/save", map[string]string{"uid": uid, "tids": d.Photos[0].Tags[0].TID}); err != nil {
					errs <- err
					return
				}
				if _, err := e.try("alice-co", "tags/remove", map[string]string{"tids": d.Photos[0].Tags[1].TID}); err != nil {
					errs <- err
					return
				}
				if _, err := e.try("alice-co", "faces/train", map[string]string{"uids": uid}); err != nil {
					errs <- err
					return
				}
				if _, err := e.try("alice-co", "faces/recognize", map[string]string{"uids": "all", "namespace": "ns"}, img(person("p0", 9, 50))); err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	if n := e.idx.Len("ns"); n != workers { // one template per uid: the mean of its three tags
		t.Fatalf("index holds %d templates, want %d", n, workers)
	}
	for w := range workers {
		r := e.call("faces/recognize", map[string]string{"uids": "all", "namespace": "ns"}, img(person(fmt.Sprint("p", w), 20, 50)))
		if u := r.Photos[0].Tags[0].UIDs; len(u) == 0 || u[0].UID != fmt.Sprintf("p%d@ns", w) {
			t.Fatalf("p%d recognised as %+v", w, u)
		}
	}
}
