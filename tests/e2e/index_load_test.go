package e2e

import (
	"bufio"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/facegate/facegate/engine/index"
	"github.com/facegate/facegate/store"
)

// TestServesWhileIndexLoads restarts facegate on a store holding
// FACEGATE_E2E_INDEX_TEMPLATES templates (default 600 000: the load takes
// about 2.5 s on an idle 2-core machine) and follows the load: /readyz answers 503
// "index building" and then 200; the metrics' template count grows while
// facegate_index_building is 1 and ends at the store's count; meanwhile
// faces/recognize answers 105 with Retry-After (never a partial result)
// and faces/detect works; once built, recognize searches the whole index.
func TestServesWhileIndexLoads(t *testing.T) {
	n := 600_000
	if v := os.Getenv("FACEGATE_E2E_INDEX_TEMPLATES"); v != "" {
		n, _ = strconv.Atoi(v)
	}
	photo := filepath.Join(facesDir(t), "detection", "images", "2008_002079.jpg")
	dir := t.TempDir()
	s := startServer(t, dir)
	s.stop()
	start := time.Now()
	seedTemplates(t, dir, "demo", n)
	t.Logf("seeded %d templates in %s", n, time.Since(start).Round(time.Millisecond))

	s.start()
	var (
		building, ready, refused bool
		counts                   []float64
		detected                 = make(chan *fcResponse, 1)
	)
	deadline := time.Now().Add(3 * time.Minute)
	for !ready {
		if time.Now().After(deadline) {
			t.Fatalf("/readyz not 200 within 3 minutes:\n%s", s.logs)
		}
		code, body := readyz(t, s)
		switch {
		case code == http.StatusOK:
			ready = true
		case code == http.StatusServiceUnavailable && body.Reason == "index building" && body.Components["index"] == "building":
			building = true
			m := scrape(t, s)
			if m["facegate_index_building"] != 1 {
				break
			}
			c := m["facegate_index_rebuild_templates"]
			if len(counts) == 0 || c != counts[len(counts)-1] {
				counts = append(counts, c)
			}
			// Early in the load (less than half read), so that the load
			// cannot end before these calls arrive.
			if !refused && c < float64(n)/2 {
				refused = true
				r := s.call("faces/recognize", withParams(s.keyParams(), "uids", "all", "namespace", "demo"), photo)
				if r.HTTPStatus != http.StatusServiceUnavailable || r.ErrorCode != 105 || r.Header.Get("Retry-After") == "" || len(r.Photos) != 0 {
					t.Errorf("recognize while the index loads: HTTP %d error %d Retry-After %q photos %d, want 503, 105, Retry-After and no result",
						r.HTTPStatus, r.ErrorCode, r.Header.Get("Retry-After"), len(r.Photos))
				}
				go func() { detected <- s.call("faces/detect", s.keyParams(), photo) }() // the probes go on meanwhile
			}
		default:
			t.Fatalf("/readyz: HTTP %d %+v", code, body)
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Logf("progress seen while building: %v", counts)
	if !building || !refused {
		t.Fatalf("never saw /readyz 503 \"index building\" with less than half of the index read (the load was too quick: raise FACEGATE_E2E_INDEX_TEMPLATES)")
	}
	if d := <-detected; d.HTTPStatus != http.StatusOK || len(d.Photos) != 1 || len(d.Photos[0].Tags) == 0 {
		t.Errorf("detect while the index loads: HTTP %d %s", d.HTTPStatus, d.ErrorMessage)
	}
	if len(counts) < 2 {
		t.Errorf("the progress count changed %d times while building, want at least 2: %v", len(counts), counts)
	}
	for i := 1; i < len(counts); i++ {
		if counts[i] <= counts[i-1] || counts[i] > float64(n) {
			t.Errorf("progress counts not increasing within 0..%d: %v", n, counts)
		}
	}
	m := scrape(t, s)
	if m["facegate_index_building"] != 0 || m["facegate_index_rebuild_templates"] != float64(n) || m["facegate_index_templates"] != float64(n) {
		t.Errorf("after the load: building %v, rebuild_templates %v, index_templates %v, want 0, %d, %d",
			m["facegate_index_building"], m["facegate_index_rebuild_templates"], m["facegate_index_templates"], n, n)
	}
	r := s.call("faces/recognize", withParams(s.keyParams(), "uids", "all", "namespace", "demo"), photo)
	if r.HTTPStatus != http.StatusOK || len(r.Photos) != 1 || len(r.Photos[0].Tags) == 0 || len(r.Photos[0].Tags[0].UIDs) == 0 {
		t.Errorf("recognize once built: HTTP %d %s %+v", r.HTTPStatus, r.ErrorMessage, r.Photos)
	}
}

func withParams(p map[string]string, kv ...string) map[string]string {
	out := map[string]string{}
	for k, v := range p {
		out[k] = v
	}
	for i := 0; i+1 < len(kv); i += 2 {
		out[kv[i]] = kv[i+1]
	}
	return out
}

type readiness struct {
	Status     string            `json:"status"`
	Reason     string            `json:"reason"`
	Components map[string]string `json:"components"`
}

func readyz(t *testing.T, s *server) (int, readiness) {
	t.Helper()
	resp, err := s.client.Get(s.url("/readyz"))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var r readiness
	if err := json.NewDecoder(resp.Body).Decode(&r); err != nil {
		t.Fatalf("/readyz: HTTP %d, not JSON: %v", resp.StatusCode, err)
	}
	return resp.StatusCode, r
}

// scrape reads the unlabelled facegate_* series of the admin endpoint's /metrics.
func scrape(t *testing.T, s *server) map[string]float64 {
	t.Helper()
	resp, err := http.Get("http://" + s.adminAddr + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	out := map[string]float64{}
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		name, val, ok := strings.Cut(sc.Text(), " ")
		if !ok || !strings.HasPrefix(name, "facegate_") || strings.Contains(name, "{") {
			continue
		}
		if f, err := strconv.ParseFloat(val, 64); err == nil {
			out[name] = f
		}
	}
	return out
}

// seedTemplates writes n random templates of namespace ns straight into the
// stopped server's store (a batch write, much faster than the API), spread
// over uids of four templates each.
func seedTemplates(t testing.TB, dataDir, ns string, n int) {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(dataDir, "encryption.key"))
	if err != nil {
		t.Fatal(err)
	}
	key, err := hex.DecodeString(strings.TrimSpace(string(raw)))
	if err != nil {
		t.Fatal(err)
	}
	st, err := store.Open(store.Options{Dir: filepath.Join(dataDir, "db"), EncryptionKey: key})
	if err != nil {
		t.Fatal(err)
	}
	r := rand.New(rand.NewPCG(uint64(n), 7))
	wb := st.NewBatch()
	for i := range n {
		var v [index.Dim]float32
		for j := range v {
			v[j] = float32(r.NormFloat64()) * 0.09
		}
		k := index.Key(ns, fmt.Sprintf("u%07d@%s", i/4, ns), fmt.Sprintf("%08x_%013x", i, i))
		if err := wb.Set(k, index.EncodeVector(v)); err != nil {
			t.Fatal(err)
		}
	}
	if err := wb.Flush(); err != nil {
		t.Fatal(err)
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
}
