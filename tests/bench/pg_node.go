package main

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/facegate/facegate/engine/index"
	"github.com/facegate/facegate/plugin/keyring"
	"github.com/facegate/facegate/store"
	"github.com/facegate/facegate/store/pgtest"
)

func init() { commands["pg-node"] = pgNodeBench }

// pgNodeBench runs the real binary (`facegate serve`, the default Caddyfile
// with FACEGATE_POSTGRES_URL) on a private PostgreSQL and measures, over
// HTTPS:
//
//   - the replication lag between two nodes: tags/save on node 1, then
//     tags/get on node 2 polled until it lists the tag (a read of the
//     database); faces/train on node 1, then node 2's /metrics polled until
//     facegate_index_templates counts the new template (node 2's search
//     index, kept current by the change feed), then faces/recognize on node 2
//     must find the uid (a recognize analyses the photo first: polled, it
//     would time the analysis rather than the lag);
//
//   - the start of a node over n templates: from the process start to
//     HTTPS answering, to /readyz 200 (the index loaded) and to the first
//     faces/recognize that answers (it answers 105 while the index loads),
//     rounds alternating with an embedded node (Badger in its data dir)
//     over the same n templates.
//
//     go run ./tests/bench pg-node --bin /tmp/facegate [--n 1000000] [--lag 200] [--rounds 2]
func pgNodeBench(args []string) error {
	fs := flag.NewFlagSet("pg-node", flag.ContinueOnError)
	bin := fs.String("bin", "bin/facegate", "facegate binary")
	n := fs.Int("n", 1_000_000, "templates in the start-up measurement (0 skips it)")
	lagN := fs.Int("lag", 200, "writes in the replication-lag measurement (0 skips it)")
	rounds := fs.Int("rounds", 2, "start-up rounds (each starts the PostgreSQL node and the embedded node once)")
	baseBin := fs.String("baseline-bin", "", "also start this binary (e.g. an earlier commit's) on the PostgreSQL node's data in each start-up round")
	if err := fs.Parse(args); err != nil {
		return err
	}
	root, err := repoRoot()
	if err != nil {
		return err
	}
	srv, err := pgtest.StartServer()
	if err != nil {
		return fmt.Errorf("starting PostgreSQL: %w", err)
	}
	defer srv.Close()
	dsn, err := srv.CreateDB()
	if err != nil {
		return err
	}
	base, err := os.MkdirTemp("", "facegate-bench-pg-node-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(base)
	pgEnv := "FACEGATE_POSTGRES_URL=" + dsn
	n1, err := startServeNode(*bin, filepath.Join(base, "node1"), pgEnv)
	if err != nil {
		return err
	}
	defer n1.stopKeep()
	if err := n1.waitReady(); err != nil {
		return err
	}
	key, _, err := n1.benchKeys()
	if err != nil {
		return err
	}
	fmt.Printf("facegate serve (%s) on PostgreSQL (%s, loopback), %d templates\n\n", *bin, srv.Bin, *n)
	if *lagN > 0 {
		if err := pgHTTPLag(n1, filepath.Join(base, "node2"), *bin, pgEnv, key, filepath.Join(root, "..", "shared", "data", "faces"), *lagN); err != nil {
			return err
		}
	}
	if *n <= 0 {
		return nil
	}
	emb, err := startServeNode(*bin, filepath.Join(base, "embedded"))
	if err != nil {
		return err
	}
	defer emb.stopKeep()
	if err := emb.waitReady(); err != nil {
		return err
	}
	embKey, _, err := emb.benchKeys()
	if err != nil {
		return err
	}
	n1.stopKeep()
	emb.stopKeep()
	start := time.Now()
	if err := pgNodeTemplates(store.Options{Postgres: dsn, PlainPrefixes: keyring.PlainKeyPrefixes}, n1.dir, *n); err != nil {
		return err
	}
	if err := pgNodeTemplates(store.Options{Dir: filepath.Join(emb.dir, "data", "db")}, emb.dir, *n); err != nil {
		return err
	}
	fmt.Printf("start of a node over %d templates in namespace demo (4 per uid; written to both stores in %s)\n\n", *n, time.Since(start).Round(time.Second))
	probe, err := os.ReadFile(filepath.Join(root, "..", "shared", "data", "faces", "recognition", "lfw", "images", "Aaron_Sorkin", "Aaron_Sorkin_0001.jpg"))
	if err != nil {
		return err
	}
	fmt.Println("Times from the process start; node CPU is the facegate process's CPU time when /readyz first answered 200;")
	fmt.Println("PostgreSQL server CPU is its processes' over the node's whole run (they end with its connections).")
	fmt.Println()
	fmt.Println("| round | node | HTTPS answers | /readyz 200 | first recognize answered | recognize refused (105) before | node CPU until ready | PostgreSQL server CPU | recognize time after | load average |")
	fmt.Println("|---|---|---:|---:|---:|---:|---:|---:|---:|---|")
	for r := range *rounds {
		type config struct {
			name, bin string
			dir       string
			env       []string
			key       [2]string
		}
		cs := []config{{"PostgreSQL", *bin, n1.dir, []string{pgEnv}, key}, {"Badger (embedded)", *bin, emb.dir, nil, embKey}}
		if *baseBin != "" {
			cs = append(cs, config{"PostgreSQL, baseline binary", *baseBin, n1.dir, []string{pgEnv}, key})
		}
		for _, c := range cs {
			srv0 := pgServerCPU(srv)
			st, err := timeNodeStart(c.bin, c.dir, c.key, probe, c.env...)
			if err != nil {
				return fmt.Errorf("%s: %w", c.name, err)
			}
			server := "-"
			if c.env != nil {
				time.Sleep(300 * time.Millisecond) // the server reaps the closed connections' processes
				server = (pgServerCPU(srv) - srv0).Round(10 * time.Millisecond).String()
			}
			fmt.Printf("| %d | %s | %s | %s | %s | %d | %s | %s | %s | %s |\n", r+1, c.name, st.https.Round(10*time.Millisecond), st.ready.Round(10*time.Millisecond),
				st.recognized.Round(10*time.Millisecond), st.refused, st.cpuReady.Round(10*time.Millisecond), server, st.after.Round(time.Millisecond), loadAvg())
		}
	}
	return nil
}

// startServeNode runs `bin serve` with its data in dir/data on free ports
// and waits until it answers over HTTPS.
func startServeNode(bin, dir string, env ...string) (*pgNode, error) {
	s := &pgNode{benchServer: &benchServer{dir: dir}}
	if err := os.MkdirAll(filepath.Join(dir, "data"), 0o700); err != nil {
		return nil, err
	}
	httpPort, err := benchPort()
	if err != nil {
		return nil, err
	}
	if s.port, err = benchPort(); err != nil {
		return nil, err
	}
	if s.adminPort, err = benchPort(); err != nil {
		return nil, err
	}
	if s.logs, err = os.OpenFile(filepath.Join(dir, "server.log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600); err != nil {
		return nil, err
	}
	s.cmd = exec.Command(bin, "serve")
	s.cmd.Env = append(os.Environ(), "FACEGATE_DATA_DIR="+filepath.Join(dir, "data"),
		"FACEGATE_HTTPS_PORT="+strconv.Itoa(s.port), "FACEGATE_HTTP_PORT="+strconv.Itoa(httpPort),
		"FACEGATE_CADDY_ADMIN=localhost:"+strconv.Itoa(s.adminPort),
		"XDG_CONFIG_HOME="+filepath.Join(dir, "xdg-config"), "XDG_DATA_HOME="+filepath.Join(dir, "xdg-data"))
	s.cmd.Env = append(s.cmd.Env, env...)
	s.cmd.Stdout, s.cmd.Stderr = s.logs, s.logs
	s.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true} // end kills its group
	s.started = time.Now()
	if err := s.cmd.Start(); err != nil {
		return nil, err
	}
	rootCA := filepath.Join(dir, "data", "caddy", "pki", "authorities", "local", "root.crt")
	for deadline := time.Now().Add(120 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			s.stopKeep()
			return nil, errors.New("facegate did not come up within 120 s (see " + filepath.Join(dir, "server.log") + ")")
		}
		if s.client == nil {
			pem, err := os.ReadFile(rootCA)
			if err != nil {
				continue
			}
			s.client = clientFor(pem)
		}
		resp, err := s.client.Get(s.url("/healthz"))
		if err == nil {
			resp.Body.Close()
			s.up = time.Since(s.started)
			return s, nil
		}
	}
}

// waitReady polls /readyz until it answers 200 (for 120 s).
func (s *pgNode) waitReady() error {
	for deadline := time.Now().Add(120 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if resp, err := s.client.Get(s.url("/readyz")); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
	}
	return errors.New("/readyz did not answer 200 within 120 s (see " + filepath.Join(s.dir, "server.log") + ")")
}

// pgNode is one `facegate serve` process whose dir outlives it.
type pgNode struct {
	*benchServer
	started time.Time
	up      time.Duration // from the start to HTTPS answering
}

// stopKeep ends the process (SIGINT, then SIGKILL after 30 s) and keeps its dir.
func (s *pgNode) stopKeep() { s.end(30 * time.Second) }

// call posts a multipart API call and returns the HTTP status and the decoded answer.
func (s *pgNode) call(route string, key [2]string, fields map[string]string, img []byte) (int, map[string]any, error) {
	f := map[string]string{"api_key": key[0], "api_secret": key[1]}
	for k, v := range fields {
		f[k] = v
	}
	var files [][]byte
	if img != nil {
		files = append(files, img)
	}
	req, err := multipartRequest(s.url("/fc/"+route+".json"), f, files...)
	if err != nil {
		return 0, nil, err
	}
	resp, err := s.client.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return 0, nil, err
	}
	var out map[string]any
	if err := json.Unmarshal(raw, &out); err != nil {
		return resp.StatusCode, nil, fmt.Errorf("%s: HTTP %d, not JSON: %.200s", route, resp.StatusCode, raw)
	}
	return resp.StatusCode, out, nil
}

// jsonTags is every tag of an answer's photos.
func jsonTags(ans map[string]any) []map[string]any {
	var out []map[string]any
	photos, _ := ans["photos"].([]any)
	for _, p := range photos {
		pm, _ := p.(map[string]any)
		tags, _ := pm["tags"].([]any)
		for _, t := range tags {
			if tm, ok := t.(map[string]any); ok {
				out = append(out, tm)
			}
		}
	}
	return out
}

// pgNodeTemplates writes n random templates (4 per uid, namespace demo)
// into the store of the node in dir, with its key file.
func pgNodeTemplates(o store.Options, dir string, n int) error {
	raw, err := os.ReadFile(filepath.Join(dir, "data", "encryption.key"))
	if err != nil {
		return err
	}
	if o.EncryptionKey, err = hex.DecodeString(strings.TrimSpace(string(raw))); err != nil {
		return err
	}
	st, err := store.Open(o)
	if err != nil {
		return err
	}
	g := &gen{r: rand.New(rand.NewPCG(1, 1)), perUID: 4}
	b := st.NewBatch()
	for i := range n {
		uid, v := g.template(i)
		if err := b.Set(index.Key("demo", strings.TrimSuffix(uid, "@bench")+"@demo", fmt.Sprintf("%08x_%013x", i, i)), index.EncodeVector(v)); err != nil {
			st.Close()
			return err
		}
	}
	return firstErr(b.Flush(), st.Close())
}

// clientFor is an HTTPS client that trusts the root certificate pem.
func clientFor(pem []byte) *http.Client {
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(pem)
	return &http.Client{Timeout: 60 * time.Second, Transport: &http.Transport{
		TLSClientConfig:     &tls.Config{RootCAs: pool, ServerName: "localhost"},
		MaxIdleConnsPerHost: 16,
	}}
}

// nodeStart is how long a node took, from its process start, to answer.
type nodeStart struct {
	https, ready, recognized time.Duration
	refused                  int           // recognize calls answered 105 before it answered
	after                    time.Duration // one recognize's response time once it answers
	cpuReady                 time.Duration // the node's CPU time when /readyz first answered 200
}

// timeNodeStart starts the node in dir and polls /readyz and
// faces/recognize (uids=all over namespace demo) until both answer.
func timeNodeStart(bin, dir string, key [2]string, probe []byte, env ...string) (nodeStart, error) {
	var st nodeStart
	s, err := startServeNode(bin, dir, env...)
	if err != nil {
		return st, err
	}
	defer s.stopKeep()
	st.https = s.up
	fields := map[string]string{"uids": "all", "namespace": "demo"}
	for deadline := s.started.Add(120 * time.Second); st.ready == 0 || st.recognized == 0; time.Sleep(50 * time.Millisecond) {
		if time.Now().After(deadline) {
			return st, fmt.Errorf("not ready or not recognizing 120 s after its start (see %s)", filepath.Join(dir, "server.log"))
		}
		if st.ready == 0 {
			if resp, err := s.client.Get(s.url("/readyz")); err == nil {
				resp.Body.Close()
				if resp.StatusCode == http.StatusOK {
					st.ready = time.Since(s.started)
					st.cpuReady = time.Duration(procCPU(s.cmd.Process.Pid))
				}
			}
		}
		if st.recognized == 0 {
			code, ans, err := s.call("faces/recognize", key, fields, probe)
			if err != nil {
				return st, err
			}
			switch {
			case code == http.StatusOK && ans["status"] == "success":
				st.recognized = time.Since(s.started)
			case ans["error_code"] == float64(105):
				st.refused++
			case code == http.StatusServiceUnavailable: // the facegate app is still starting

			default:
				return st, fmt.Errorf("recognize: HTTP %d %v", code, ans)
			}
		}
	}
	t0 := time.Now()
	if code, ans, err := s.call("faces/recognize", key, fields, probe); err != nil || code != http.StatusOK || len(jsonTags(ans)) == 0 {
		return st, fmt.Errorf("recognize after the start: HTTP %d %v %v", code, ans, err)
	}
	st.after = time.Since(t0)
	return st, nil
}

// pgHTTPLag starts node 2 on a copy of node 1's data dir (the key files,
// Caddy's data: no store) and measures, n times: tags/save on node 1 ->
// tags/get on node 2 lists the tag, and faces/train on node 1 ->
// faces/recognize on node 2 finds the uid. Each write is of a new uid, on a
// tag that node 1 just detected in an LFW photo.
func pgHTTPLag(n1 *pgNode, dir2, bin, env string, key [2]string, faces string, n int) error {
	if out, err := exec.Command("cp", "-a", n1.dir, dir2).CombinedOutput(); err != nil {
		return fmt.Errorf("copying the data dir: %v %s", err, out)
	}
	_ = os.Remove(filepath.Join(dir2, "server.log"))
	n2, err := startServeNode(bin, dir2, env)
	if err != nil {
		return err
	}
	defer n2.stopKeep()
	if err := n2.waitReady(); err != nil {
		return err
	}
	imgs, err := filepath.Glob(filepath.Join(faces, "recognition", "lfw", "images", "A*", "*_0001.jpg"))
	if err != nil || len(imgs) == 0 {
		return fmt.Errorf("no LFW photos under %s", faces)
	}
	var saveAck, saveLag, trainAck, trainLag, recOnce []time.Duration
	getPolls, metricPolls, recFirst := 0, 0, 0
	for i, j := 0, 0; i < n; j++ {
		if j >= len(imgs)*2 {
			return errors.New("too few LFW photos with a recognizable face")
		}
		img, err := os.ReadFile(imgs[j%len(imgs)])
		if err != nil {
			return err
		}
		_, ans, err := n1.call("faces/detect", key, nil, img)
		if err != nil {
			return err
		}
		tid := ""
		for _, t := range jsonTags(ans) {
			if t["recognizable"] == true {
				tid, _ = t["tid"].(string)
				break
			}
		}
		if tid == "" {
			continue
		}
		uid := fmt.Sprintf("lag%05d@demo", i)
		t0 := time.Now()
		if code, ans, err := n1.call("tags/save", key, map[string]string{"uid": uid, "tids": tid}, nil); err != nil || ans["status"] != "success" {
			return fmt.Errorf("tags/save on node 1: HTTP %d %v %v", code, ans, err)
		}
		acked := time.Now()
		saveAck = append(saveAck, acked.Sub(t0))
		for {
			getPolls++
			_, ans, err := n2.call("tags/get", key, map[string]string{"uids": uid}, nil)
			if err != nil {
				return err
			}
			if len(jsonTags(ans)) > 0 { // a new uid: no tag before the save
				break
			}
			if time.Since(acked) > 10*time.Second {
				return fmt.Errorf("node 2 does not list the tag saved on node 1 after 10 s: %v", ans)
			}
		}
		saveLag = append(saveLag, time.Since(acked))
		before, err := n2.indexTemplates()
		if err != nil {
			return err
		}
		t0 = time.Now()
		if code, ans, err := n1.call("faces/train", key, map[string]string{"uids": uid}, nil); err != nil || ans["status"] != "success" {
			return fmt.Errorf("faces/train on node 1: HTTP %d %v %v", code, ans, err)
		}
		acked = time.Now()
		trainAck = append(trainAck, acked.Sub(t0))
		for {
			metricPolls++
			now, err := n2.indexTemplates()
			if err != nil {
				return err
			}
			if now > before {
				break
			}
			if time.Since(acked) > 10*time.Second {
				return fmt.Errorf("node 2's index does not hold the template trained on node 1 after 10 s")
			}
		}
		trainLag = append(trainLag, time.Since(acked))
		t0 = time.Now()
		for first := true; ; first = false {
			_, ans, err := n2.call("faces/recognize", key, map[string]string{"uids": uid}, img)
			if err != nil {
				return err
			}
			if recognizedUID(ans, uid) {
				if first {
					recFirst++
				}
				break
			}
			if time.Since(t0) > 10*time.Second {
				return fmt.Errorf("node 2 does not recognize the uid trained on node 1 after 10 s: %v", ans)
			}
		}
		recOnce = append(recOnce, time.Since(t0))
		i++
	}
	fmt.Printf("replication lag over HTTPS, %d writes one after the other (two nodes on one PostgreSQL; polled back to back: %.1f tags/get and %.1f /metrics per write; node 2's recognize found the uid on its first call after that %d times of %d; load average %s)\n\n",
		n, float64(getPolls)/float64(n), float64(metricPolls)/float64(n), recFirst, n, loadAvg())
	fmt.Println("| measure | p50 | p99 | max |")
	fmt.Println("|---|---:|---:|---:|")
	for _, m := range []struct {
		name string
		d    []time.Duration
	}{
		{"tags/save on node 1 (answered)", saveAck},
		{"lag: node 1 answered tags/save -> node 2's tags/get lists the tag", saveLag},
		{"faces/train on node 1 (answered)", trainAck},
		{"lag: node 1 answered faces/train -> node 2's index holds the template (facegate_index_templates)", trainLag},
		{"then faces/recognize on node 2 finds the uid", recOnce},
	} {
		slices.Sort(m.d)
		fmt.Printf("| %s | %s | %s | %s |\n", m.name, lagPct(m.d, 50), lagPct(m.d, 99), m.d[len(m.d)-1].Round(10*time.Microsecond))
	}
	fmt.Println()
	return nil
}

// indexTemplates reads facegate_index_templates from the node's /metrics
// (Caddy's admin endpoint): the templates its search index holds.
func (s *pgNode) indexTemplates() (int, error) {
	resp, err := s.client.Get(fmt.Sprintf("http://localhost:%d/metrics", s.adminPort))
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return 0, err
	}
	for line := range strings.Lines(string(raw)) {
		if v, ok := strings.CutPrefix(line, "facegate_index_templates "); ok {
			f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
			return int(f), err
		}
	}
	return 0, errors.New("no facegate_index_templates in /metrics")
}

// recognizedUID reports whether a recognize answer names uid as a candidate.
func recognizedUID(ans map[string]any, uid string) bool {
	for _, t := range jsonTags(ans) {
		cands, _ := t["uids"].([]any)
		for _, c := range cands {
			if cm, ok := c.(map[string]any); ok && cm["uid"] == uid {
				return true
			}
		}
	}
	return false
}

// loadAvg is the first three fields of /proc/loadavg.
func loadAvg() string {
	raw, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	f := strings.Fields(string(raw))
	if len(f) < 3 {
		return "?"
	}
	return strings.Join(f[:3], " ")
}
