package service

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/facegate/facegate/engine/index"
	"github.com/facegate/facegate/store"
)

var crashKey = bytes.Repeat([]byte{6}, store.KeySize)

// TestMain turns the test binary into a crash-test writer when FACEGATE_SVC_CRASH_DIR is set.
func TestMain(m *testing.M) {
	if dir := os.Getenv("FACEGATE_SVC_CRASH_DIR"); dir != "" {
		os.Exit(crashWriter(dir))
	}
	os.Exit(m.Run())
}

func openCrashService(dir string) (*store.Store, *index.Index, *Service, error) {
	st, err := store.Open(store.DefaultOptions(filepath.Join(dir, "db"), crashKey))
	if err != nil {
		return nil, nil, nil, err
	}
	idx := index.New()
	if _, err := idx.Load(st); err != nil {
		st.Close()
		return nil, nil, nil, err
	}
	svc, err := New(st, idx, &fakeAnalyzer{}, nil, Options{
		NamespaceOwner: func(ns string) (string, bool) { return "owner", ns == "ns" },
	})
	return st, idx, svc, err
}

// crashWriter enrols faces until killed, appending each acknowledged result to dir/acks.
func crashWriter(dir string) int {
	_, _, svc, err := openCrashService(dir)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 3
	}
	ack, err := os.OpenFile(filepath.Join(dir, "acks"), os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o600)
	if err != nil {
		return 3
	}
	fmt.Println("ready")
	start, _ := strconv.Atoi(os.Getenv("FACEGATE_SVC_CRASH_START"))
	ctx := context.Background()
	for i := start; ; i++ {
		uid := fmt.Sprintf("u%d@ns", i%5)
		d, err := svc.Call(ctx, &Request{Method: "faces/detect", Owner: "owner", Namespaces: []string{"*"}, Files: []File{{Data: img(person(uid, i, 50))}}})
		if err != nil {
			return 4
		}
		s, err := svc.Call(ctx, &Request{Method: "tags/save", Owner: "owner", Namespaces: []string{"*"}, Params: map[string]string{"uid": uid, "tids": d.Photos[0].Tags[0].TID}})
		if err != nil {
			return 4
		}
		fmt.Fprintf(ack, "save %s %s\n", s.SavedTags[0].TID, uid)
		ack.Sync()
		tr, err := svc.Call(ctx, &Request{Method: "faces/train", Owner: "owner", Namespaces: []string{"*"}, Params: map[string]string{"uids": uid}})
		if err != nil {
			return 4
		}
		for _, l := range [][]UserStatus{*tr.Created, *tr.Updated} {
			for _, u := range l {
				fmt.Fprintf(ack, "train %s %d\n", u.UID, u.TrainingSetSize)
			}
		}
		ack.Sync()
	}
}

// TestKill9DuringSaveAndTrain kills a process enrolling faces and checks after each restart
// that every acknowledged tags/save and faces/train is there, that nothing is half written,
// and that the rebuilt index recognises the trained uids.
func TestKill9DuringSaveAndTrain(t *testing.T) {
	if testing.Short() {
		t.Skip("spawns processes")
	}
	dir := t.TempDir()
	for round := range 3 {
		cmd := exec.Command(os.Args[0], "-test.run=^$")
		cmd.Env = append(os.Environ(), "FACEGATE_SVC_CRASH_DIR="+dir, "FACEGATE_SVC_CRASH_START="+strconv.Itoa(round*1_000_000))
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		for deadline := time.Now().Add(20 * time.Second); !strings.Contains(out.String(), "ready") && time.Now().Before(deadline); {
			time.Sleep(10 * time.Millisecond)
		}
		time.Sleep(time.Duration(400+150*round) * time.Millisecond)
		cmd.Process.Signal(syscall.SIGKILL)
		cmd.Wait()

		st, idx, svc, err := openCrashService(dir)
		if err != nil {
			t.Fatalf("round %d: reopen: %v (child: %q)", round, err, out.String())
		}
		saves, trains := 0, map[string]int{}
		f, err := os.Open(filepath.Join(dir, "acks"))
		if err != nil {
			st.Close()
			t.Fatalf("round %d: no acks (child: %q)", round, out.String())
		}
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			p := strings.Fields(sc.Text())
			if len(p) != 3 {
				continue // a line cut by the kill
			}
			switch p[0] {
			case "save":
				var ref tagRef
				if err := st.GetJSON(tagRefKey(p[1]), &ref); err != nil || ref.UID != p[2] {
					t.Errorf("round %d: acknowledged tag %s of %s lost: %v", round, p[1], p[2], err)
				}
				saves++
			case "train":
				n, _ := strconv.Atoi(p[2])
				trains[p[1]] = max(trains[p[1]], n)
			}
		}
		f.Close()
		for uid, n := range trains {
			var rec trainRec
			name, _, _ := cutLast(uid)
			if err := st.GetJSON(trainKey(uidRef{name: name, ns: "ns"}), &rec); err != nil || len(rec.TIDs) < n {
				t.Errorf("round %d: acknowledged training of %s (%d tags) lost: %d, %v", round, uid, n, len(rec.TIDs), err)
			}
			r, err := svc.Call(context.Background(), &Request{Method: "faces/recognize", Owner: "owner", Namespaces: []string{"*"},
				Params: map[string]string{"uids": "all", "namespace": "ns"}, Files: []File{{Data: img(person(uid, 7, 50))}}})
			if err != nil || len(r.Photos[0].Tags[0].UIDs) == 0 || r.Photos[0].Tags[0].UIDs[0].UID != uid {
				t.Errorf("round %d: %s not recognised after restart", round, uid)
			}
		}
		if err := CheckConsistency(st); err != nil {
			t.Errorf("round %d: half-written state visible: %v", round, err)
		}
		if saves == 0 || len(trains) == 0 {
			t.Errorf("round %d: child acknowledged nothing (child: %q)", round, out.String())
		}
		t.Logf("round %d: %d acknowledged saves, %d trained uids, %d templates indexed", round, saves, len(trains), idx.Len("ns"))
		st.Close()
		if t.Failed() {
			return
		}
	}
}
