package main

import (
	"bytes"
	"flag"
	"fmt"
	"image"
	"image/png"
	"io"
	"mime/multipart"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

func init() { commands["abuse"] = abuseBench }

// abuseBench replays the two memory abuse runs of the security assessment
// against the real binary and reports the server's peak resident memory and
// how a legitimate client fared meanwhile:
//
//   - unauthenticated uploads: 24 parallel 19 MiB multipart uploads without
//     credentials, twice each;
//   - pixel bombs: 32 concurrent authenticated calls of three 5000×5000 PNGs
//     (about 24 KB each), twice each.
//
// A legitimate client calls account/authenticate in a loop during each run.
// Every binary given runs the same script, one after the other, so that a
// baseline (--baseline-bin) is measured the same way.
//
//	go run ./tests/bench abuse [--bin bin/facegate] [--baseline-bin <older binary>]
func abuseBench(args []string) error {
	fs := flag.NewFlagSet("abuse", flag.ContinueOnError)
	bin := fs.String("bin", "bin/facegate", "facegate binary")
	baseline := fs.String("baseline-bin", "", "a second binary measured the same way (e.g. an earlier build)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	bins := []string{*bin}
	if *baseline != "" {
		bins = append([]string{*baseline}, bins...)
	}
	bomb, err := pngBomb(5000, 5000)
	if err != nil {
		return err
	}
	fmt.Printf("abuse runs: peak RSS of the server (MB, sampled every 20 ms) and a legitimate client's calls meanwhile\n\n")
	fmt.Printf("| binary | run | idle RSS | peak RSS | abusive answers | legitimate calls ok | legitimate p50 |\n|---|---|---|---|---|---|---|\n")
	for _, b := range bins {
		srv, err := startBenchServer(b, abuseCaddyfile())
		if err != nil {
			return fmt.Errorf("%s: %w", b, err)
		}
		key, _, err := srv.benchKeys()
		if err != nil {
			srv.stop()
			return err
		}
		runs := []struct {
			name    string
			workers int
			make    func() (*http.Request, error)
		}{
			{"24 × 19 MiB uploads, no credentials", 24, func() (*http.Request, error) {
				return multipartRequest(srv.url("/fc/faces/detect.json"), nil, bytes.Repeat([]byte{0xff}, 19<<20))
			}},
			{"32 × three 5000×5000 PNGs, authenticated", 32, func() (*http.Request, error) {
				return multipartRequest(srv.url("/fc/faces/detect.json"), map[string]string{"api_key": key[0], "api_secret": key[1]}, bomb, bomb, bomb)
			}},
		}
		for _, run := range runs {
			idle := rssMB(srv.cmd.Process.Pid)
			res := abuseRun(srv, key, run.workers, 2, run.make)
			fmt.Printf("| %s | %s | %.0f | %.0f | %s | %d/%d | %v |\n", b, run.name, idle, res.peakMB, res.codes, res.legitOK, res.legitAll, res.legitP50.Round(time.Millisecond))
		}
		srv.stop()
	}
	return nil
}

func abuseCaddyfile() string {
	return `{
	http_port {$BENCH_HTTP_PORT}
	https_port {$BENCH_HTTPS_PORT}
	skip_install_trust
	storage file_system {$BENCH_DIR}/caddy
	admin localhost:{$BENCH_ADMIN_PORT}
	log {
		level WARN
	}
	facegate {
		data_dir {$BENCH_DIR}/data
	}
}

localhost {
	tls internal
	handle /fc/* {
		facegate_guard
		facegate_api
	}
	handle /admin/* {
		facegate_admin
	}
}
`
}

// abuseRuns numbers the runs, so that each abuses from its own address.
var abuseRuns atomic.Int32

// abuseResult is one run's outcome.
type abuseResult struct {
	peakMB            float64
	codes             string // HTTP statuses of the abusive calls, e.g. "401×48"
	legitOK, legitAll int
	legitP50          time.Duration
}

// clientFrom is srv's client connecting from the loopback address src, so
// that the abuser and the legitimate client are different addresses (as
// they would be) and the per-address limits tell them apart.
func clientFrom(srv *benchServer, src string) *http.Client {
	tr := srv.client.Transport.(*http.Transport).Clone()
	d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(src)}, Timeout: 10 * time.Second}
	tr.DialContext = d.DialContext
	return &http.Client{Timeout: 60 * time.Second, Transport: tr}
}

// abuseRun sends workers × rounds abusive requests (workers at once, from
// 127.0.0.2..) while sampling the server's RSS and running a legitimate
// client (from 127.0.0.1).
func abuseRun(srv *benchServer, key [2]string, workers, rounds int, mk func() (*http.Request, error)) abuseResult {
	var res abuseResult
	abuser := clientFrom(srv, fmt.Sprintf("127.0.0.%d", 2+abuseRuns.Add(1)))
	stop := make(chan struct{})
	var peak atomic.Int64
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { // RSS sampler
		defer wg.Done()
		for {
			peak.Store(max(peak.Load(), int64(rssMB(srv.cmd.Process.Pid))))
			select {
			case <-stop:
				return
			case <-time.After(20 * time.Millisecond):
			}
		}
	}()
	var lat []time.Duration
	go func() { // legitimate client
		defer wg.Done()
		body := "api_key=" + key[0] + "&api_secret=" + key[1]
		for {
			select {
			case <-stop:
				return
			default:
			}
			t0 := time.Now()
			req, _ := http.NewRequest(http.MethodPost, srv.url("/fc/account/authenticate.json"), strings.NewReader(body))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			resp, err := srv.client.Do(req)
			res.legitAll++
			if err == nil {
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode == http.StatusOK {
					res.legitOK++
					lat = append(lat, time.Since(t0))
				}
			}
			time.Sleep(50 * time.Millisecond)
		}
	}()
	var mu sync.Mutex
	codes := map[int]int{}
	for range rounds {
		var aw sync.WaitGroup
		for range workers {
			aw.Add(1)
			go func() {
				defer aw.Done()
				code := 0
				if req, err := mk(); err == nil {
					if resp, err := abuser.Do(req); err == nil {
						io.Copy(io.Discard, resp.Body)
						resp.Body.Close()
						code = resp.StatusCode
					}
				}
				mu.Lock()
				codes[code]++
				mu.Unlock()
			}()
		}
		aw.Wait()
	}
	time.Sleep(200 * time.Millisecond)
	close(stop)
	wg.Wait()
	res.peakMB = float64(peak.Load())
	var parts []string
	for c, n := range codes {
		parts = append(parts, fmt.Sprintf("%d×%d", c, n))
	}
	res.codes = strings.Join(parts, " ")
	if len(lat) > 0 {
		ms := make([]float64, len(lat))
		for i, d := range lat {
			ms[i] = float64(d)
		}
		res.legitP50 = time.Duration(median(ms))
	}
	return res
}

// multipartRequest builds a multipart POST with fields first, then files.
func multipartRequest(u string, fields map[string]string, files ...[]byte) (*http.Request, error) {
	var b bytes.Buffer
	mw := multipart.NewWriter(&b)
	for k, v := range fields {
		mw.WriteField(k, v)
	}
	for i, f := range files {
		part, err := mw.CreateFormFile("files", "img"+strconv.Itoa(i)+".png")
		if err != nil {
			return nil, err
		}
		part.Write(f)
	}
	mw.Close()
	req, err := http.NewRequest(http.MethodPost, u, &b)
	if err == nil {
		req.Header.Set("Content-Type", mw.FormDataContentType())
	}
	return req, err
}

// pngBomb is a w×h black PNG: tiny compressed, w×h bytes decoded.
func pngBomb(w, h int) ([]byte, error) {
	var b bytes.Buffer
	enc := png.Encoder{CompressionLevel: png.BestCompression}
	err := enc.Encode(&b, image.NewGray(image.Rect(0, 0, w, h)))
	return b.Bytes(), err
}

// rssMB is the resident memory of process pid in MB (0 if unknown).
func rssMB(pid int) float64 {
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(raw), "\n") {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kb, _ := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 64)
			return kb / 1024
		}
	}
	return 0
}
