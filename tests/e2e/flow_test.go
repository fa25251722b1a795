package e2e

import (
	"bufio"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"
)

// This file holds TestSkyBiometryFlow (the npm skybiometry client through the
// whole SkyBiometry flow) and the helpers, prefixed flow, that
// durability_test.go and urls_test.go share with it.

// TestSkyBiometryFlow drives the real npm skybiometry client through the whole
// SkyBiometry flow on one server: detect, tags/save, train, status, recognize
// (enrolled people and strangers), tags/get, group, tags/remove, retrain and the
// account methods, checking field names and value types on the way. The demo
// key is on the free tier (5 calls/s, 100 quota units per hour, 2 concurrent):
// calls are sequential, about 45 units are used and the usage block must count
// every one of them.
func TestSkyBiometryFlow(t *testing.T) {
	faces := facesDir(t)
	lfw := filepath.Join(faces, "recognition", "lfw", "images")
	images := httptest.NewServer(http.FileServer(http.Dir(lfw)))
	defer images.Close()
	host := strings.TrimPrefix(images.URL, "http://")
	s := flowStartConfig(t, t.TempDir(), flowCaddyfile(t, "url_allow_hosts "+host))

	people := flowPeople(t, faces, 5, func(n int) bool { return n >= 4 })
	strangers := flowPeople(t, faces, 3, func(n int) bool { return n == 1 })
	uids := make([]string, len(people))
	for i, p := range people {
		uids[i] = p.uid()
	}
	allUIDs := strings.Join(uids, ",")
	demo := map[string]any{"namespace": "demo"}

	// used is what the quota must have charged so far: every call of a quota
	// route costs max(images, 1); account/* calls are free.
	used := 0
	quota := func(t *testing.T, where string, resp map[string]any, cost int) {
		t.Helper()
		used += cost
		u := flowObj(resp["usage"])
		flowCheckUsage(t, where+".usage", u)
		if got := flowInt(u["used"]); got != used || flowInt(u["limit"]) != 100 {
			t.Errorf("%s: usage.used %d limit %v, want %d of 100", where, got, u["limit"], used)
		}
		flowCheck(t, len(flowStr(resp["operation_id"])) >= 16, where+".operation_id", resp["operation_id"])
		_, hasCode := resp["error_code"]
		flowCheck(t, !hasCode, where+" error_code on success", resp["error_code"])
	}

	t.Run("account/authenticate", func(t *testing.T) {
		r := flowNodeOK(t, s, "account.authenticate")
		if r["authenticated"] != true {
			t.Errorf("authenticated = %#v", r["authenticated"])
		}
	})

	temp := map[string][]string{} // person → temporary tids of the gallery faces
	// usable counts the recognizable gallery faces per uid: the training set.
	// Usually 2 each, but the engine's landmarks are not deterministic (pigo's
	// pupil cascade jitters with math/rand), so a hard photo may come out
	// unrecognizable on some runs.
	usable := map[string]int{}
	t.Run("faces/detect gallery photos", func(t *testing.T) {
		for _, p := range people {
			for _, img := range p.images[:2] {
				r := flowNodeOK(t, s, "faces.detect", map[string]any{"files": img})
				quota(t, "detect "+filepath.Base(img), r, 1)
				photos := flowCheckPhotos(t, "detect "+filepath.Base(img), r, "detect")
				if len(photos) != 1 || flowInt(photos[0]["width"]) != 250 || flowInt(photos[0]["height"]) != 250 {
					t.Fatalf("%s: want one 250x250 photo: %v", img, r["photos"])
				}
				c := flowCentreTag(photos[0])
				if c == nil {
					t.Fatalf("%s: no face in the centre: %v", img, photos[0]["tags"])
				}
				temp[p.name] = append(temp[p.name], flowStr(c["tid"]))
				if c["recognizable"] == true {
					usable[p.uid()]++
				} else {
					t.Logf("%s: the centre face is not recognizable: it will not be trained", filepath.Base(img))
				}
			}
		}
	})

	saved := map[string][]string{} // person → saved tids
	label := func(p flowPerson) string { return "Label of " + strings.ReplaceAll(p.name, "_", " ") }
	t.Run("tags/save with uid and label", func(t *testing.T) {
		for _, p := range people {
			r := flowNodeOK(t, s, "tags.save", strings.Join(temp[p.name], ","), p.uid(), map[string]any{"label": label(p)})
			quota(t, "save "+p.name, r, 1)
			st := flowArr(r["saved_tags"])
			if len(st) != 2 {
				t.Fatalf("%s: saved_tags %v", p.name, r["saved_tags"])
			}
			for i, x := range st {
				m := flowObj(x)
				tid := flowStr(m["tid"])
				if flowStr(m["detected_tid"]) != temp[p.name][i] || tid == "" || strings.HasPrefix(tid, "TEMP_") {
					t.Errorf("%s: saved tag %v for %s", p.name, m, temp[p.name][i])
				}
				saved[p.name] = append(saved[p.name], tid)
			}
			if want := "Tag saved with uid: " + p.uid() + ", label: " + label(p); r["message"] != want {
				t.Errorf("message %q, want %q", r["message"], want)
			}
		}
	})

	lastTrained := map[string]int{} // per uid: one train call can span a second boundary
	t.Run("faces/train creates every uid", func(t *testing.T) {
		r := flowNodeOK(t, s, "faces.train", allUIDs, demo)
		quota(t, "train", r, 1)
		created, none := flowTrainEntries(t, r, "created"), flowTrainEntries(t, r, "no_training_set")
		for _, k := range []string{"updated", "unchanged", "in_progress"} {
			if a, ok := r[k].([]any); !ok || len(a) != 0 {
				t.Errorf("%s = %#v, want []", k, r[k])
			}
		}
		for _, u := range uids {
			if usable[u] == 0 {
				if _, ok := none[u]; !ok {
					t.Errorf("%s has no recognizable tag but is not in no_training_set: %v", u, r)
				}
				continue
			}
			e, ok := created[u]
			if !ok || flowInt(e["training_set_size"]) != usable[u] || e["training_in_progress"] != false {
				t.Errorf("created[%s] = %v, want training_set_size %d", u, e, usable[u])
			}
			lastTrained[u] = flowInt(e["last_trained"])
			if d := time.Since(time.Unix(int64(lastTrained[u]), 0)); d < -time.Minute || d > 5*time.Minute {
				t.Errorf("last_trained %d is not now", lastTrained[u])
			}
		}
	})

	t.Run("faces/status", func(t *testing.T) {
		r := flowNodeOK(t, s, "faces.status", allUIDs, demo)
		quota(t, "status", r, 1)
		st := flowTrainEntries(t, r, "user_statuses")
		for _, u := range uids {
			if e := st[u]; usable[u] > 0 && (flowInt(e["training_set_size"]) != usable[u] || flowInt(e["last_trained"]) != lastTrained[u]) {
				t.Errorf("status[%s] = %v, want size %d, last_trained %d", u, e, usable[u], lastTrained[u])
			}
		}
	})

	recognize := func(t *testing.T, img string) (map[string]any, map[string]any) {
		t.Helper()
		r := flowNodeOK(t, s, "faces.recognize", "all", map[string]any{"files": img, "namespace": "demo"})
		quota(t, "recognize "+filepath.Base(img), r, 1)
		photos := flowCheckPhotos(t, "recognize "+filepath.Base(img), r, "recognize")
		if len(photos) != 1 {
			t.Fatalf("%s: photos %v", img, r["photos"])
		}
		return r, photos[0]
	}
	t.Run("faces/recognize enrolled probes", func(t *testing.T) {
		rank1, accepted, blind, total := 0, 0, 0, 0
		for _, p := range people {
			for _, img := range p.images[2:4] {
				_, photo := recognize(t, img)
				total++
				c := flowCentreTag(photo)
				if c == nil {
					t.Errorf("%s: no centre face", filepath.Base(img))
					continue
				}
				if c["recognizable"] != true {
					// No descriptor, so no candidates: a miss, but not a wrong answer.
					t.Logf("probe %s: the centre face is not recognizable on this run", filepath.Base(img))
					blind++
					continue
				}
				th, cands := flowInt(c["threshold"]), flowArr(c["uids"])
				top := map[string]any{}
				if len(cands) > 0 {
					top = flowObj(cands[0])
				}
				t.Logf("probe %s: top %v (%v), threshold %d, %d candidates", filepath.Base(img), top["uid"], top["confidence"], th, len(cands))
				if top["uid"] != p.uid() {
					t.Errorf("probe %s: top match %v, want %s", filepath.Base(img), top, p.uid())
					continue
				}
				rank1++
				if flowInt(top["confidence"]) >= th {
					accepted++
				} else {
					t.Logf("probe %s: right person but below the threshold (%v < %d)", filepath.Base(img), top["confidence"], th)
				}
			}
		}
		t.Logf("rank-1 %d/%d (%d probes without a descriptor); right person with confidence ≥ threshold %d/%d", rank1, total, blind, accepted, total)
		// Every probe must rank its own person first; acceptance at the
		// threshold must reach 80 % (a floor, not the observed value).
		if accepted*10 < total*8 {
			t.Errorf("only %d/%d probes accepted at the threshold, want ≥ 80%%", accepted, total)
		}
	})

	t.Run("faces/recognize rejects strangers", func(t *testing.T) {
		for _, p := range strangers {
			_, photo := recognize(t, p.images[0])
			for _, tg := range flowArr(photo["tags"]) {
				tag := flowObj(tg)
				th, best := flowInt(tag["threshold"]), -1
				for _, u := range flowArr(tag["uids"]) {
					best = max(best, flowInt(flowObj(u)["confidence"]))
				}
				t.Logf("stranger %s: best confidence %d, threshold %d", p.name, best, th)
				if best >= th {
					t.Errorf("stranger %s matched %v (threshold %d)", p.name, tag["uids"], th)
				}
			}
		}
	})

	t.Run("tags/get by uid", func(t *testing.T) {
		for _, p := range people {
			r := flowNodeOK(t, s, "tags.get", map[string]any{"uids": p.uid(), "namespace": "demo"})
			quota(t, "tags/get "+p.name, r, 1)
			photos := flowCheckPhotos(t, "tags/get "+p.name, r, "get")
			got := map[string]bool{}
			for _, ph := range photos {
				for _, tg := range flowArr(ph["tags"]) {
					tag := flowObj(tg)
					u := flowArr(tag["uids"])
					if len(u) != 1 || flowObj(u[0])["uid"] != p.uid() || flowInt(flowObj(u[0])["confidence"]) != 100 {
						t.Errorf("%s: tag uids %v", p.name, tag["uids"])
					}
					if tag["label"] != label(p) {
						t.Errorf("%s: label %#v, want %q", p.name, tag["label"], label(p))
					}
					got[flowStr(tag["tid"])] = true
				}
			}
			if len(photos) != 2 || len(got) != 2 || !got[saved[p.name][0]] || !got[saved[p.name][1]] {
				t.Errorf("%s: tags/get returned %d photos, tids %v; want the saved %v", p.name, len(photos), got, saved[p.name])
			}
		}
	})

	t.Run("account/limits, users, namespaces", func(t *testing.T) {
		// account/limits reports the quota (SkyBiometry's "used/remaining/limit"
		// of images) without charging it.
		r := flowNodeOK(t, s, "account.limits")
		quota(t, "account/limits", r, 0)
		r = flowNodeOK(t, s, "account.users", "demo")
		list := flowArr(flowObj(r["users"])["demo"])
		want := append([]string(nil), uids...)
		sort.Strings(want)
		if fmt.Sprint(list) != fmt.Sprint(want) {
			t.Errorf("users.demo = %v, want %v", list, want)
		}
		r = flowNodeOK(t, s, "account.namespaces")
		found := false
		for _, n := range flowArr(r["namespaces"]) {
			m := flowObj(n)
			if m["name"] == "demo" {
				found = true
				_, shareIsStr := m["share_mode"].(string)
				if !flowIsInt(m["size"]) || flowInt(m["size"]) != len(people) || !shareIsStr || m["owner"] != true {
					t.Errorf("namespace demo = %v, want size %d", m, len(people))
				}
			}
		}
		if !found {
			t.Errorf("namespaces %v do not list demo", r["namespaces"])
		}
	})

	t.Run("faces/group on urls clusters without mixing people", func(t *testing.T) {
		var urls []string
		owner := map[string]string{} // url → uid of the person shown
		for _, p := range people[:2] {
			for _, img := range p.images[2:4] {
				rel, _ := filepath.Rel(lfw, img)
				u := images.URL + "/" + filepath.ToSlash(rel)
				urls = append(urls, u)
				owner[u] = p.uid()
			}
		}
		r := flowNodeOK(t, s, "faces.group", "all", map[string]any{"urls": strings.Join(urls, ","), "namespace": "demo"})
		quota(t, "group", r, len(urls)) // each url is one image
		photos := flowCheckPhotos(t, "group", r, "recognize")
		if len(photos) != len(urls) {
			t.Fatalf("group photos: %v", r["photos"])
		}
		person := map[string]string{} // recognizable centre tid → uid of the person shown
		unusable := map[string]bool{} // centre tids without a descriptor
		for i, ph := range photos {
			if ph["url"] != urls[i] {
				t.Errorf("photo %d url %v, want %s", i, ph["url"], urls[i])
			}
			if c := flowCentreTag(ph); c != nil && c["recognizable"] == true {
				person[flowStr(c["tid"])] = owner[urls[i]]
			} else if c != nil {
				unusable[flowStr(c["tid"])] = true
			}
		}
		seen, grouped := map[string]int{}, 0
		for _, g := range flowArr(r["groups"]) {
			gr := flowObj(g)
			members := map[string]bool{}
			for _, tid := range flowArr(gr["tids"]) {
				seen[flowStr(tid)]++
				if who, ok := person[flowStr(tid)]; ok {
					members[who] = true
				}
			}
			if _, hasGID := gr["gid"]; !hasGID {
				if _, hasUID := gr["uid"]; hasUID {
					t.Errorf("ungrouped entry with a uid: %v", gr)
				}
				continue
			}
			flowCheck(t, flowIsInt(gr["gid"]), "groups.gid", gr["gid"])
			for _, tid := range flowArr(gr["tids"]) {
				if unusable[flowStr(tid)] {
					t.Errorf("face %s without a descriptor is in group %v", tid, gr["gid"])
				}
			}
			grouped++
			if len(members) > 1 {
				t.Errorf("group %v mixes people %v", gr, members)
			}
			if u, ok := gr["uid"]; ok && !members[flowStr(u)] {
				t.Errorf("group %v is labelled %v but shows %v", gr["gid"], u, members)
			}
		}
		for tid := range person {
			if seen[tid] != 1 {
				t.Errorf("face %s appears in %d groups, want exactly 1: %v", tid, seen[tid], r["groups"])
			}
		}
		for tid := range unusable {
			// Known gap (engine/service/group.go): faces without a descriptor
			// are left out of every entry, even the ungrouped one.
			t.Logf("face %s is not recognizable; listed in %d group entries", tid, seen[tid])
		}
		if grouped == 0 {
			t.Errorf("no two photos of the same person were grouped: %v", r["groups"])
		}
		t.Logf("group: %d clusters with a gid over %d photos of 2 people: %v", grouped, len(urls), r["groups"])
	})

	victim := people[len(people)-1]
	t.Run("tags/remove forgets a person", func(t *testing.T) {
		r := flowNodeOK(t, s, "tags.remove", strings.Join(saved[victim.name], ","))
		quota(t, "remove", r, 1)
		var removed []string
		for _, x := range flowArr(r["removed_tags"]) {
			removed = append(removed, flowStr(flowObj(x)["removed_tid"]))
		}
		if fmt.Sprint(removed) != fmt.Sprint(saved[victim.name]) {
			t.Errorf("removed_tags %v, want %v", r["removed_tags"], saved[victim.name])
		}
		r = flowNodeOK(t, s, "tags.get", map[string]any{"uids": victim.uid(), "namespace": "demo"})
		quota(t, "tags/get after remove", r, 1)
		if n := len(flowArr(r["photos"])); n != 0 {
			t.Errorf("tags/get still returns %d photos of %s: %v", n, victim.uid(), r["photos"])
		}
		r = flowNodeOK(t, s, "faces.train", allUIDs, demo)
		quota(t, "retrain", r, 1)
		if e, ok := flowTrainEntries(t, r, "no_training_set")[victim.uid()]; !ok || flowInt(e["training_set_size"]) != 0 {
			t.Errorf("retrain: no_training_set %v, want %s with size 0", r["no_training_set"], victim.uid())
		}
		others := 0
		for _, u := range uids {
			if u != victim.uid() && usable[u] > 0 {
				others++
			}
		}
		if n := len(flowTrainEntries(t, r, "unchanged")); n != others {
			t.Errorf("retrain: %d unchanged, want %d: %v", n, others, r)
		}
		_, photo := recognize(t, victim.images[2])
		for _, u := range flowArr(flowCentreTag(photo)["uids"]) {
			if flowObj(u)["uid"] == victim.uid() {
				t.Errorf("removed %s is still recognised: %v", victim.uid(), u)
			}
		}
		r = flowNodeOK(t, s, "account.users", "demo")
		for _, u := range flowArr(flowObj(r["users"])["demo"]) {
			if u == victim.uid() {
				t.Errorf("account/users still lists %s", victim.uid())
			}
		}
	})

	t.Run("errors reach the npm client as SkyBiometry failures", func(t *testing.T) {
		_, text, err := flowNode(t, s, "tags.save", saved[victim.name][0], victim.uid())
		if err == nil || !strings.HasPrefix(text, "ERROR 4") {
			t.Fatalf("saving a removed tag: err %v, %.300s", err, text)
		}
		body, derr := flowDecode(text[strings.Index(text, "{"):])
		if derr != nil || body["status"] != "failure" || !flowIsInt(body["error_code"]) ||
			flowInt(body["error_code"]) != 301 || !strings.HasPrefix(flowStr(body["error_message"]), "TAG_NOT_FOUND") {
			t.Errorf("failure body %.300s", text)
		}
	})
}

// flowTrainEntries indexes a faces/train or faces/status result array by uid,
// checking each entry's field types.
func flowTrainEntries(t *testing.T, r map[string]any, key string) map[string]map[string]any {
	t.Helper()
	arr, ok := r[key].([]any)
	flowCheck(t, ok, key, r[key])
	out := map[string]map[string]any{}
	for i, x := range arr {
		e := flowObj(x)
		path := fmt.Sprintf("%s[%d]", key, i)
		flowCheck(t, flowStr(e["uid"]) != "", path+".uid", e["uid"])
		flowCheck(t, flowIsInt(e["training_set_size"]), path+".training_set_size", e["training_set_size"])
		flowCheck(t, flowIsInt(e["last_trained"]), path+".last_trained", e["last_trained"])
		_, isBool := e["training_in_progress"].(bool)
		flowCheck(t, isBool, path+".training_in_progress", e["training_in_progress"])
		out[flowStr(e["uid"])] = e
	}
	return out
}

// flowCaddyfile writes caddyfiles/Caddyfile with extra lines added to its
// global `facegate { ... }` block into a temp dir and returns its path.
func flowCaddyfile(t testing.TB, extra ...string) string {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(repoRoot, "caddyfiles", "Caddyfile"))
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(string(raw), "\n")
	for i, l := range lines {
		if strings.TrimSpace(l) == "facegate {" {
			add := make([]string, len(extra))
			for j, e := range extra {
				add[j] = "\t\t" + e
			}
			lines = append(lines[:i+1], append(add, lines[i+1:]...)...)
			path := filepath.Join(t.TempDir(), "Caddyfile")
			if err := os.WriteFile(path, []byte(strings.Join(lines, "\n")), 0o600); err != nil {
				t.Fatal(err)
			}
			return path
		}
	}
	t.Fatal("caddyfiles/Caddyfile has no global facegate block")
	return ""
}

// flowStartConfig runs `facegate run --config config` on free ports with
// dataDir (the harness's environment), waits for HTTPS and reads the
// credentials, like startServer does for `facegate serve`.
func flowStartConfig(t testing.TB, dataDir, config string) *server {
	t.Helper()
	s := &server{t: t, dataDir: dataDir, httpsPort: freePort(t), httpPort: freePort(t),
		adminAddr: fmt.Sprintf("localhost:%d", freePort(t))}
	flowLaunch(s, "run", "--config", config, "--adapter", "caddyfile")
	t.Cleanup(s.stop)
	return s
}

// flowLaunch is server.start with other command-line arguments.
func flowLaunch(s *server, args ...string) {
	s.t.Helper()
	s.args = args
	s.start()
}

// flowNode runs one call of the real npm skybiometry client (node/client.js)
// against s with args as the method's JSON arguments. It returns the decoded
// answer (numbers kept as json.Number so that ints and floats can be told
// apart) and the raw text; err is set when the client rejected the call
// (text is then "ERROR <status> <body>").
func flowNode(t *testing.T, s *server, call string, args ...any) (map[string]any, string, error) {
	t.Helper()
	nodeDir := filepath.Join(repoRoot, "tests", "e2e", "node")
	if _, err := os.Stat(filepath.Join(nodeDir, "node_modules", "skybiometry")); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("tests/e2e/node/node_modules is missing: run `npm ci` there")
		}
		t.Skip("npm dependencies not installed (cd tests/e2e/node && npm ci)")
	}
	if args == nil {
		args = []any{}
	}
	rawArgs, err := json.Marshal(args)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("node", "client.js", call, string(rawArgs))
	cmd.Dir = nodeDir
	cmd.Env = append(os.Environ(),
		"FACEGATE_URL=https://localhost:"+strconv.Itoa(s.httpsPort),
		"FACEGATE_API_KEY="+s.creds.APIKey,
		"FACEGATE_API_SECRET="+s.creds.APISecret,
		"NODE_EXTRA_CA_CERTS="+s.rootCA(),
	)
	out, runErr := cmd.CombinedOutput()
	text := string(out)
	if runErr != nil {
		return nil, text, fmt.Errorf("node client %s: %w", call, runErr)
	}
	m, err := flowDecode(text)
	if err != nil {
		return nil, text, fmt.Errorf("node client %s: answer is not JSON: %w", call, err)
	}
	return m, text, nil
}

// flowNodeOK is flowNode for calls that must succeed. A rate-limit denial
// (HTTP 429, the free tier's 5/s) is waited out and retried, and logged.
func flowNodeOK(t *testing.T, s *server, call string, args ...any) map[string]any {
	t.Helper()
	for attempt := 0; ; attempt++ {
		m, text, err := flowNode(t, s, call, args...)
		if err != nil && strings.HasPrefix(text, "ERROR 429 ") && attempt < 5 {
			t.Logf("%s: rate limited, retrying: %.200s", call, text)
			time.Sleep(time.Second)
			continue
		}
		if err != nil {
			t.Fatalf("%v\n%.600s", err, text)
		}
		if m["status"] != "success" {
			t.Fatalf("%s: status %v: %.600s", call, m["status"], text)
		}
		return m
	}
}

// flowDecode decodes a JSON object keeping numbers as json.Number.
func flowDecode(text string) (map[string]any, error) {
	dec := json.NewDecoder(strings.NewReader(text))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil {
		return nil, err
	}
	return m, nil
}

// JSON accessors: the zero value when v has another type.
func flowObj(v any) map[string]any { m, _ := v.(map[string]any); return m }
func flowArr(v any) []any          { a, _ := v.([]any); return a }
func flowStr(v any) string         { s, _ := v.(string); return s }
func flowIsNum(v any) bool         { _, ok := v.(json.Number); return ok }

// flowIsInt reports whether v is a JSON number written without fraction or exponent.
func flowIsInt(v any) bool {
	n, ok := v.(json.Number)
	return ok && !strings.ContainsAny(n.String(), ".eE")
}

// flowInt and flowFloat read a number decoded as json.Number or float64.
func flowInt(v any) int {
	if f, ok := v.(float64); ok {
		return int(f)
	}
	n, _ := v.(json.Number)
	i, _ := strconv.Atoi(n.String())
	return i
}

func flowFloat(v any) float64 {
	if f, ok := v.(float64); ok {
		return f
	}
	n, _ := v.(json.Number)
	f, _ := n.Float64()
	return f
}

// flowCheck records a type/shape error at path when ok is false.
func flowCheck(t *testing.T, ok bool, path string, v any) {
	t.Helper()
	if !ok {
		t.Errorf("%s: unexpected type or value %#v", path, v)
	}
}

// flowCheckUsage checks SkyBiometry's usage block (§1.3): ints and an RFC-1123-like text.
func flowCheckUsage(t *testing.T, path string, u map[string]any) {
	t.Helper()
	flowCheck(t, u != nil, path, u)
	for _, k := range []string{"used", "remaining", "limit", "reset_time"} {
		flowCheck(t, flowIsInt(u[k]) && flowInt(u[k]) >= 0, path+"."+k, u[k])
	}
	text := flowStr(u["reset_time_text"])
	rt, err := time.Parse("Mon, 2 January 2006 15:04:05 -0700", text)
	flowCheck(t, err == nil && rt.Unix() == int64(flowInt(u["reset_time"])), path+".reset_time_text", u["reset_time_text"])
	flowCheck(t, flowInt(u["used"])+flowInt(u["remaining"]) == flowInt(u["limit"]), path+" used+remaining", u)
}

// flowCheckPoint checks a landmark {x, y, confidence, id}.
func flowCheckPoint(t *testing.T, path string, p map[string]any) {
	t.Helper()
	flowCheck(t, p != nil, path, p)
	flowCheck(t, flowIsNum(p["x"]) && flowIsNum(p["y"]), path+".x/y", p)
	flowCheck(t, flowIsInt(p["confidence"]) && flowInt(p["confidence"]) <= 100, path+".confidence", p["confidence"])
	flowCheck(t, flowIsInt(p["id"]), path+".id", p["id"])
}

// flowCheckTag checks one tag's field names and value types (docs/api.md,
// Answer objects). kind is "detect", "recognize" or "get".
func flowCheckTag(t *testing.T, path string, tag map[string]any, kind string) {
	t.Helper()
	flowCheck(t, flowStr(tag["tid"]) != "", path+".tid", tag["tid"])
	_, ok := tag["recognizable"].(bool)
	flowCheck(t, ok, path+".recognizable", tag["recognizable"])
	uids, isArr := tag["uids"].([]any)
	flowCheck(t, isArr, path+".uids", tag["uids"])
	for i, u := range uids {
		m := flowObj(u)
		flowCheck(t, flowStr(m["uid"]) != "", fmt.Sprintf("%s.uids[%d].uid", path, i), m["uid"])
		c := m["confidence"]
		flowCheck(t, flowIsInt(c) && flowInt(c) >= 0 && flowInt(c) <= 100, fmt.Sprintf("%s.uids[%d].confidence", path, i), c)
	}
	for _, k := range []string{"confirmed", "manual"} {
		_, ok := tag[k].(bool)
		flowCheck(t, ok, path+"."+k, tag[k])
	}
	label, hasLabel := tag["label"]
	_, labelIsStr := label.(string)
	flowCheck(t, hasLabel && (label == nil || labelIsStr), path+".label", label)
	for _, k := range []string{"width", "height", "yaw", "roll", "pitch"} {
		flowCheck(t, flowIsNum(tag[k]), path+"."+k, tag[k])
	}
	c := flowObj(tag["center"])
	flowCheck(t, flowIsNum(c["x"]) && flowIsNum(c["y"]), path+".center", tag["center"])
	for _, k := range []string{"eye_left", "eye_right", "mouth_center", "nose"} {
		flowCheckPoint(t, path+"."+k, flowObj(tag[k]))
	}
	attrs := flowObj(tag["attributes"])
	flowCheck(t, attrs != nil && attrs["face"] != nil, path+".attributes.face", tag["attributes"])
	for name, a := range attrs {
		m := flowObj(a)
		_, isStr := m["value"].(string)
		flowCheck(t, isStr, path+".attributes."+name+".value", m["value"])
		flowCheck(t, flowIsInt(m["confidence"]), path+".attributes."+name+".confidence", m["confidence"])
	}
	for _, k := range []string{"points", "similarities"} {
		v, present := tag[k]
		flowCheck(t, present && v == nil, path+"."+k, v)
	}
	th, hasTh := tag["threshold"]
	switch kind {
	case "detect":
		flowCheck(t, len(uids) == 0 && label == nil && tag["confirmed"] == false && !hasTh, path+" (detect: uids [], label null, unconfirmed, no threshold)", tag)
		flowCheck(t, strings.HasPrefix(flowStr(tag["tid"]), "TEMP_F@"), path+".tid (temporary)", tag["tid"])
	case "recognize":
		flowCheck(t, flowIsInt(th) && flowInt(th) > 0 && flowInt(th) <= 100, path+".threshold", th)
		for i := 1; i < len(uids); i++ {
			flowCheck(t, flowInt(flowObj(uids[i-1])["confidence"]) >= flowInt(flowObj(uids[i])["confidence"]), path+".uids order", uids)
		}
	case "get":
		flowCheck(t, tag["confirmed"] == true && !strings.HasPrefix(flowStr(tag["tid"]), "TEMP_"), path+" (saved tag)", tag)
	}
}

// flowCheckPhotos checks the photos array of an answer and every tag in it.
func flowCheckPhotos(t *testing.T, where string, resp map[string]any, kind string) []map[string]any {
	t.Helper()
	var out []map[string]any
	for i, p := range flowArr(resp["photos"]) {
		photo := flowObj(p)
		path := fmt.Sprintf("%s.photos[%d]", where, i)
		_, urlIsStr := photo["url"].(string)
		flowCheck(t, urlIsStr, path+".url", photo["url"])
		flowCheck(t, strings.HasPrefix(flowStr(photo["pid"]), "F@"), path+".pid", photo["pid"])
		flowCheck(t, flowIsInt(photo["width"]) && flowIsInt(photo["height"]), path+".width/height", photo)
		_, tagsArr := photo["tags"].([]any)
		flowCheck(t, tagsArr, path+".tags", photo["tags"])
		for j, tg := range flowArr(photo["tags"]) {
			flowCheckTag(t, fmt.Sprintf("%s.tags[%d]", path, j), flowObj(tg), kind)
		}
		out = append(out, photo)
	}
	return out
}

// flowCentreTag returns the largest tag whose centre is in the middle of the
// photo (the LFW subject), or nil.
func flowCentreTag(photo map[string]any) map[string]any {
	var best map[string]any
	for _, tg := range flowArr(photo["tags"]) {
		tag := flowObj(tg)
		c := flowObj(tag["center"])
		x, y := flowFloat(c["x"]), flowFloat(c["y"])
		if x < 35 || x > 65 || y < 30 || y > 70 {
			continue
		}
		if best == nil || flowFloat(tag["width"]) > flowFloat(best["width"]) {
			best = tag
		}
	}
	return best
}

// flowPerson is an LFW identity with its image paths in sorted order.
type flowPerson struct {
	name   string
	images []string
}

// uid is the person's SkyBiometry uid in the demo namespace.
func (p flowPerson) uid() string { return strings.ToLower(p.name) + "@demo" }

// flowPeople returns the first n identities of people.txt whose image count
// satisfies keep, in file order (no cherry-picking).
func flowPeople(t *testing.T, faces string, n int, keep func(int) bool) []flowPerson {
	t.Helper()
	lfw := filepath.Join(faces, "recognition", "lfw")
	f, err := os.Open(filepath.Join(lfw, "people.txt"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	seen := map[string]bool{}
	var out []flowPerson
	sc := bufio.NewScanner(f)
	for sc.Scan() && len(out) < n {
		fields := strings.Fields(sc.Text())
		if len(fields) != 2 || seen[fields[0]] {
			continue
		}
		seen[fields[0]] = true
		if c, err := strconv.Atoi(fields[1]); err != nil || !keep(c) {
			continue
		}
		imgs, _ := filepath.Glob(filepath.Join(lfw, "images", fields[0], "*.jpg"))
		sort.Strings(imgs)
		if keep(len(imgs)) {
			out = append(out, flowPerson{name: fields[0], images: imgs})
		}
	}
	if len(out) < n {
		t.Fatalf("people.txt has only %d matching identities", len(out))
	}
	return out
}
