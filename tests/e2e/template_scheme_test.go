package e2e

import (
	"encoding/hex"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/facegate/facegate/engine/index"
	"github.com/facegate/facegate/store"
)

// TestTemplateSchemeUpgrade trains uids with two LFW photos each (their index template
// is the mean of the two), then rewrites the stopped server's store as facegate left it
// before template schemes (one vector per tag, training records without a scheme) and
// starts the binary on it again: every uid is still recognised, and faces/train answers
// "updated" and puts the mean back.
func TestTemplateSchemeUpgrade(t *testing.T) {
	root := filepath.Join(facesDir(t), "recognition", "lfw", "images")
	people := []string{"Abdullah_Gul", "Adrien_Brody", "Abdoulaye_Wade"}
	images := map[string][]string{}
	for _, p := range people {
		files, _ := filepath.Glob(filepath.Join(root, p, "*.jpg"))
		sort.Strings(files)
		if len(files) < 3 {
			t.Fatalf("%s: %d photos, want 3", p, len(files))
		}
		images[p] = files[:3]
	}
	uid := func(p string) string { return strings.ToLower(p) + "@demo" }
	dir := t.TempDir()
	s := startServer(t, dir)
	// Rate buckets survive the restart (plugin/limits_journal.go): the calls before
	// and after it would outrun the initial key's tier on a fast machine, so they use
	// an unlimited key of the same owner.
	id, sec := newSecAdmin(t, s).createKey(map[string]any{"owner": "demo", "namespaces": []string{"demo"}, "scopes": []string{"*"},
		"tier": "unlimited", "auth_modes": []string{"secret"}})
	s.key = &[2]string{id, sec}
	s.creds.APIKey, s.creds.APISecret = id, sec
	params := func(kv ...string) map[string]string {
		m := s.keyParams()
		for i := 0; i+1 < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return m
	}
	centre := func(r *fcResponse) *fcTag {
		if r.Status != "success" || len(r.Photos) != 1 {
			return nil
		}
		for i, tg := range r.Photos[0].Tags {
			if tg.Recognizable && abs(tg.Center.X-50) < tg.Width/2 && abs(tg.Center.Y-50) < tg.Height/2 {
				return &r.Photos[0].Tags[i]
			}
		}
		return nil
	}
	var enrolled []string
	for _, p := range people {
		var tids []string
		for _, img := range images[p][:2] {
			if c := centre(s.call("faces/detect", params(), img)); c != nil {
				tids = append(tids, c.TID)
			}
		}
		if len(tids) < 2 {
			t.Logf("%s: %d recognizable gallery faces, not used", p, len(tids))
			continue
		}
		if r := s.call("tags/save", params("uid", uid(p), "tids", strings.Join(tids, ","))); r.Status != "success" {
			t.Fatalf("tags/save %s: %d %s", p, r.HTTPStatus, r.ErrorMessage)
		}
		enrolled = append(enrolled, p)
	}
	if len(enrolled) < 2 {
		t.Fatalf("only %v could be enrolled with two photos", enrolled)
	}
	if r := s.call("faces/train", params("uids", "all", "namespace", "demo")); r.Status != "success" || len(r.Raw["created"].([]any)) != len(enrolled) {
		t.Fatalf("faces/train: %d %s %v", r.HTTPStatus, r.ErrorMessage, r.Raw)
	}
	recognised := func(s *server, when string) {
		t.Helper()
		for _, p := range enrolled {
			r := s.call("faces/recognize", params("uids", "all", "namespace", "demo"), images[p][2])
			c := centre(r)
			if c == nil {
				t.Fatalf("%s: %s's probe has no recognizable centre face: %d %s", when, p, r.HTTPStatus, r.ErrorMessage)
			}
			if len(c.UIDs) == 0 || c.UIDs[0].UID != uid(p) {
				t.Errorf("%s: %s recognised as %+v", when, p, c.UIDs)
			}
		}
	}
	recognised(s, "trained")
	s.stop()

	// the store as the per-tag scheme left it
	raw, err := os.ReadFile(filepath.Join(dir, "encryption.key"))
	if err != nil {
		t.Fatal(err)
	}
	key, err := hex.DecodeString(strings.TrimSpace(string(raw)))
	if err != nil {
		t.Fatal(err)
	}
	st, err := store.Open(store.Options{Dir: filepath.Join(dir, "db"), EncryptionKey: key})
	if err != nil {
		t.Fatal(err)
	}
	perTag := 0
	err = st.Update(func(tx *store.Tx) error {
		for _, p := range enrolled {
			var rec map[string]any
			if err := tx.GetJSON("train/demo/"+uid(p), &rec); err != nil {
				return err
			}
			if rec["scheme"] != float64(1) {
				t.Errorf("%s: training record %v, want scheme 1", p, rec)
			}
			delete(rec, "scheme")
			if err := tx.PutJSON("train/demo/"+uid(p), rec, 0); err != nil {
				return err
			}
			mean := index.Key("demo", uid(p), "mean_"+uid(p))
			if ok, err := tx.Exists(mean); err != nil || !ok {
				t.Errorf("%s: no mean template stored (%v)", p, err)
			}
			if err := tx.Delete(mean); err != nil {
				return err
			}
			for _, tid := range rec["tids"].([]any) {
				var tag struct {
					Face struct{ Descriptor []float32 }
				}
				if err := tx.GetJSON("tag/demo/"+uid(p)+"/"+tid.(string), &tag); err != nil {
					return err
				}
				var v [index.Dim]float32
				copy(v[:], tag.Face.Descriptor)
				if err := tx.PutRaw(index.Key("demo", uid(p), tid.(string)), index.EncodeVector(v), 0); err != nil {
					return err
				}
				perTag++
			}
		}
		return nil
	})
	if cerr := st.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		t.Fatal(err)
	}
	if perTag != 2*len(enrolled) {
		t.Fatalf("%d per-tag vectors written", perTag)
	}

	s2 := startServer(t, dir)
	deadline := time.Now().Add(2 * time.Minute)
	for {
		resp, err := s2.client.Get(s2.url("/readyz"))
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatal("/readyz not 200 within 2 minutes")
		}
		time.Sleep(200 * time.Millisecond)
	}
	recognised(s2, "per-tag store")
	r := s2.call("faces/train", params("uids", "all", "namespace", "demo"))
	if updated, _ := r.Raw["updated"].([]any); r.Status != "success" || len(updated) != len(enrolled) {
		t.Fatalf("faces/train on the per-tag store: %v, want every uid updated", r.Raw)
	}
	recognised(s2, "re-derived")
	if b, _ := json.Marshal(r.Raw["updated"]); !strings.Contains(string(b), `"training_set_size":2`) {
		t.Errorf("updated entries %s", b)
	}
}

func abs(x float64) float64 {
	if x < 0 {
		return -x
	}
	return x
}
