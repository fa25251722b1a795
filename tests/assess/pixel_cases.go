package main

import (
	"bufio"
	"bytes"
	"fmt"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"
)

// pixelCases check the server-wide budget of pixels being decoded and
// analysed (API4, issue 11 finding 4): six concurrent uploads of a
// 5000×5000 PNG (25 MP each, at max_pixels, 150 MP in all against the
// default budget of 40 MP) are each answered with success or with a
// clear 503 error 105 and Retry-After, a small call is served while they
// run, and with --pid the process stays under 400 MB resident. Skipped
// with --quick (it keeps both cores busy for tens of seconds).
func (a *assessor) pixelCases() {
	const sent = "6 concurrent faces/detect calls, each one 5000x5000 PNG (25 MP), from 6 addresses; a small call meanwhile"
	const expected = "each HTTP 200, or HTTP 503 error 105 with Retry-After; the small call HTTP 200; RSS under 400 MB (with --pid)"
	if a.opt.quick {
		a.skip(API4, "pixel budget under concurrent large images (issue 11 finding 4)", sent, expected, "--quick: the run keeps the CPU busy for tens of seconds")
		return
	}
	k, err := a.adm.ownerKey(a.ns("assess-pixels"), a.ns("assess-pixels"))
	if err != nil {
		a.skip(API4, "pixel budget under concurrent large images (issue 11 finding 4)", sent, expected, "admin API setup: "+err.Error())
		return
	}
	a.add(API4, "pixel budget under concurrent large images (issue 11 finding 4)", sent, expected, func() (string, string) {
		img := zeroPNG(5000, 5000)
		var wg sync.WaitGroup
		res := make([]*resp, 6)
		stop := make(chan struct{})
		peak := make(chan int64, 1)
		before := int64(0)
		if a.opt.pid > 0 {
			before = rssOf(a.opt.pid)
		}
		go func() { peak <- a.watchRSS(stop) }()
		for i := range res {
			wg.Add(1)
			go func() {
				defer wg.Done()
				res[i] = a.upload(a.t.client(a.t.nextSource()), "faces/detect", k, nil, img)
			}()
		}
		time.Sleep(500 * time.Millisecond)
		small := a.upload(a.t.client(a.t.nextSource()), "faces/detect", a.k0, nil, a.photo)
		wg.Wait()
		close(stop)
		rss := <-peak
		ok := small.ok()
		var got []string
		for _, r := range res {
			switch {
			case r.ok():
				got = append(got, "200")
			case r.Status == http.StatusServiceUnavailable && r.code() == 105 && r.Header.Get("Retry-After") != "":
				got = append(got, "503/105")
			default:
				ok = false
				got = append(got, r.String())
			}
		}
		obs := fmt.Sprintf("large: %s; small call during them: %s (%v)", strings.Join(got, ", "), small, small.Took.Round(time.Millisecond))
		if rss > 0 {
			obs += fmt.Sprintf("; RSS %d MB before, peak %d MB", before>>20, rss>>20)
			ok = ok && rss < 400<<20
		}
		return obs, verdict(ok)
	})
}

// watchRSS samples the instance's resident set every 100 ms until stop
// and returns the peak in bytes (0 without --pid).
func (a *assessor) watchRSS(stop <-chan struct{}) int64 {
	if a.opt.pid <= 0 {
		return 0
	}
	var peak int64
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for {
		peak = max(peak, rssOf(a.opt.pid))
		select {
		case <-stop:
			return peak
		case <-tick.C:
		}
	}
}

// rssOf is VmRSS of a process in bytes, or 0.
func rssOf(pid int) int64 {
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	sc := bufio.NewScanner(bytes.NewReader(raw))
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "VmRSS:"); ok {
			f := strings.Fields(v)
			if len(f) > 0 {
				kb, _ := strconv.ParseInt(f[0], 10, 64)
				return kb << 10
			}
		}
	}
	return 0
}
