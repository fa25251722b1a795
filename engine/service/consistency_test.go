package service

import (
	"strings"
	"testing"

	"github.com/facegate/facegate/engine/index"
	"github.com/facegate/facegate/store"
)

func TestCheckConsistency(t *testing.T) {
	setup := func(t *testing.T) (*env, string) {
		e := newEnv(t)
		tid := e.enroll("alice", 1, "alice@ns")
		e.enroll("bob", 1, "bob@ns")
		d := e.call("faces/detect", nil, img(person("alice", 2, 50)))
		e.call("tags/save", map[string]string{"uid": "alice@ns", "tids": d.Photos[0].Tags[0].TID})
		if err := CheckConsistency(e.st); err != nil {
			t.Fatalf("consistent store reported: %v", err)
		}
		return e, tid
	}
	alice := uidRef{name: "alice", ns: "ns"}
	tests := []struct {
		name   string
		mutate func(tx *store.Tx, tid string) error
		want   string
	}{
		{"tag without tagref", func(tx *store.Tx, tid string) error { return tx.Delete(tagRefKey(tid)) }, "saved tags but"},
		{"dangling tagref", func(tx *store.Tx, tid string) error { return tx.Delete(tagKey(alice, tid)) }, "no matching saved tag"},
		{"trained tid without vector", func(tx *store.Tx, tid string) error { return tx.Delete(index.Key("ns", "alice@ns", tid)) }, "without index vector"},
		{"stray vector", func(tx *store.Tx, tid string) error {
			return tx.PutRaw(index.Key("ns", "eve@ns", "x"), make([]byte, 512), 0)
		}, "outside any training set"},
		{"training record without tags", func(tx *store.Tx, tid string) error {
			if err := tx.Delete(tagKey(alice, tid)); err != nil {
				return err
			}
			return tx.Delete(tagRefKey(tid))
		}, "has no saved tag"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, tid := setup(t)
			if err := e.st.Update(func(tx *store.Tx) error { return tt.mutate(tx, tid) }); err != nil {
				t.Fatal(err)
			}
			err := CheckConsistency(e.st)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("CheckConsistency = %v, want %q", err, tt.want)
			}
		})
	}
	t.Run("after removals and erasure", func(t *testing.T) {
		e, tid := setup(t)
		e.call("tags/remove", map[string]string{"tids": tid})
		if err := e.svc.DeleteUID("ns", "bob@ns"); err != nil {
			t.Fatal(err)
		}
		if err := CheckConsistency(e.st); err != nil {
			t.Fatal(err)
		}
		if err := e.svc.DeleteOwner("alice-co"); err != nil {
			t.Fatal(err)
		}
		if err := CheckConsistency(e.st); err != nil {
			t.Fatal(err)
		}
	})
}
