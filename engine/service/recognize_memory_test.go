package service

import (
	"testing"

	"github.com/facegate/facegate/engine/index"
	"github.com/facegate/facegate/store"
)

// A search reads nothing from the store: the index holds each mean template's size
// (kept with the template in the store, so a Load brings it back), and candidates
// come out the same after the store is closed. A mean template stored before its size
// was kept with it is still scored with its size, from the training record.
func TestMatchFromMemory(t *testing.T) {
	e := newEnv(t)
	e.svc.opts.TemplateDistance = func(d float32, k int) float32 { return d + 0.1*float32(k) }
	e.saveTag("alice", 1, "alice@ns")
	e.saveTag("alice", 2, "alice@ns")
	e.saveTag("alice", 3, "alice@ns")
	e.saveTag("bob", 1, "bob@ns")
	e.call("faces/train", map[string]string{"uids": "all", "namespace": "ns"})
	probe := identity("alice", 4)
	want, err := e.svc.match([]target{{ns: "ns"}}, probe, 5, 0)
	if err != nil || len(want) != 2 || want[0].UID != "alice@ns" {
		t.Fatalf("candidates %+v, %v", want, err)
	}
	same := func(what string, svc *Service) {
		t.Helper()
		got, err := svc.match([]target{{ns: "ns"}}, probe, 5, 0)
		if err != nil || len(got) != len(want) {
			t.Fatalf("%s: %+v, %v; want %+v", what, got, err, want)
		}
		for i := range got {
			if got[i] != want[i] {
				t.Fatalf("%s: %+v, want %+v", what, got, want)
			}
		}
	}
	if sizes := e.idx.TemplateSizes("ns", []string{"alice@ns", "bob@ns"}); len(sizes) != 1 || sizes["alice@ns"] != 3 {
		t.Fatalf("index sizes after train: %v", sizes)
	}

	// a node starting on this store: the sizes come with the templates
	loaded := index.New()
	if _, err := loaded.Load(e.st); err != nil {
		t.Fatal(err)
	}
	if sizes := loaded.TemplateSizes("ns", []string{"alice@ns", "bob@ns"}); len(sizes) != 1 || sizes["alice@ns"] != 3 {
		t.Fatalf("loaded index sizes: %v", sizes)
	}
	svc, err := New(e.st, loaded, &fakeAnalyzer{}, nil, e.svc.opts)
	if err != nil {
		t.Fatal(err)
	}
	same("loaded index", svc)

	// the mean template as it was stored before its size was kept with it
	alice := uidRef{name: "alice", ns: "ns"}
	v, ok := e.meanVector(alice)
	if !ok {
		t.Fatal("no mean template for alice")
	}
	if err := e.st.Update(func(tx *store.Tx) error {
		return tx.PutRaw(index.Key("ns", "alice@ns", meanTID(alice)), index.EncodeVector(v), 0)
	}); err != nil {
		t.Fatal(err)
	}
	legacy := index.New()
	if _, err := legacy.Load(e.st); err != nil {
		t.Fatal(err)
	}
	if svc, err = New(e.st, legacy, &fakeAnalyzer{}, nil, e.svc.opts); err != nil {
		t.Fatal(err)
	}
	same("mean template without its size", svc)

	// the store gone: the index that holds the sizes answers alone
	if err := e.st.Close(); err != nil {
		t.Fatal(err)
	}
	same("store closed", e.svc)
	if _, err := svc.match([]target{{ns: "ns"}}, probe, 5, 0); err == nil {
		t.Error("the mean template without its size was scored without its training record")
	}
}
