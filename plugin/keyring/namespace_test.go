package keyring

import (
	"errors"
	"strings"
	"testing"
)

func TestNamespaces(t *testing.T) {
	k, _, _ := newTestKeyring(t)
	tests := []struct {
		name, ns, owner string
		want            error
	}{
		{"create", "docs", "acme", nil},
		{"second", "photos.v2", "acme", nil},
		{"other owner", "zoo", "other", nil},
		{"taken by same owner", "docs", "acme", ErrExists},
		{"taken by other owner", "docs", "other", ErrExists},
		{"bad name", "a/b", "acme", ErrInvalid},
		{"too long", strings.Repeat("n", 65), "acme", ErrInvalid},
		{"empty", "", "acme", ErrInvalid},
		{"bad owner", "ok", "", ErrInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := k.CreateNamespace(tt.ns, tt.owner, "t"); !errors.Is(err, tt.want) {
				t.Fatalf("CreateNamespace = %v, want %v", err, tt.want)
			}
		})
	}
	if owner, ok := k.NamespaceOwner("docs"); !ok || owner != "acme" {
		t.Errorf("NamespaceOwner(docs) = %q, %v", owner, ok)
	}
	if ns, err := k.Namespace("docs"); err != nil || ns.Owner != "acme" || ns.CreatedAt == 0 {
		t.Errorf("Namespace(docs) = %+v, %v", ns, err)
	}
	if _, err := k.Namespace("nope"); !errors.Is(err, ErrNotFound) {
		t.Errorf("Namespace(nope) = %v", err)
	}
	if _, ok := k.NamespaceOwner("nope"); ok {
		t.Error("unknown namespace has an owner")
	}
	for owner, n := range map[string]int{"acme": 2, "other": 1, "": 3} {
		if list, err := k.ListNamespaces(owner); err != nil || len(list) != n {
			t.Errorf("ListNamespaces(%q) = %d, %v; want %d", owner, len(list), err, n)
		}
	}
	if err := k.DeleteNamespace("docs", "t"); err != nil {
		t.Fatal(err)
	}
	if _, ok := k.NamespaceOwner("docs"); ok {
		t.Error("deleted namespace still registered")
	}
	if err := k.DeleteNamespace("docs", "t"); !errors.Is(err, ErrNotFound) {
		t.Errorf("second delete = %v", err)
	}
	if err := k.CreateNamespace("docs", "other", "t"); err != nil {
		t.Errorf("freed name not reusable: %v", err)
	}
}
