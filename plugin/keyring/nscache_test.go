package keyring

import "testing"

// TestNamespaceOwnerCache: answers are cached, and a delete or a new
// registration under the same name is seen at once.
func TestNamespaceOwnerCache(t *testing.T) {
	k, st, _ := newTestKeyring(t)
	if _, ok := k.NamespaceOwner("cached"); ok {
		t.Fatal("an unregistered namespace has an owner")
	}
	if err := k.CreateNamespace("cached", "acme", "test"); err != nil {
		t.Fatal(err)
	}
	if owner, ok := k.NamespaceOwner("cached"); !ok || owner != "acme" {
		t.Fatalf("owner %q %v, want acme", owner, ok)
	}
	// Cached: answered from memory even when the registry entry is gone
	// behind the keyring's back.
	if err := st.Delete(prefixNS + "cached"); err != nil {
		t.Fatal(err)
	}
	if owner, ok := k.NamespaceOwner("cached"); !ok || owner != "acme" {
		t.Fatalf("cached owner %q %v, want acme", owner, ok)
	}
	if err := k.CreateNamespace("cached", "other", "test"); err != nil {
		t.Fatal(err)
	}
	if owner, ok := k.NamespaceOwner("cached"); !ok || owner != "other" {
		t.Fatalf("after re-registration: owner %q %v, want other", owner, ok)
	}
	if err := k.DeleteNamespace("cached", "test"); err != nil {
		t.Fatal(err)
	}
	if _, ok := k.NamespaceOwner("cached"); ok {
		t.Fatal("a deleted namespace still has an owner")
	}
}
