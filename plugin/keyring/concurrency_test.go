package keyring

import (
	"errors"
	"fmt"
	"sync"
	"testing"
)

// TestConcurrentCodeUsedOnce sends one TOTP code from several goroutines
// at once: exactly one may be accepted.
func TestConcurrentCodeUsedOnce(t *testing.T) {
	k, _, clk := newTestKeyring(t)
	token, uri, _, err := k.CreateAdmin("ops", "test")
	if err != nil {
		t.Fatal(err)
	}
	code := codeAt(t, uri, clk.Now())
	const n = 8
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, errs[i] = k.VerifyAdmin(token, code, fmt.Sprintf("192.0.2.%d:1", i))
		}()
	}
	wg.Wait()
	ok := 0
	for _, err := range errs {
		switch {
		case err == nil:
			ok++
		case !errors.Is(err, ErrCodeReused):
			t.Errorf("unexpected error %v", err)
		}
	}
	if ok != 1 {
		t.Fatalf("%d of %d concurrent uses of one code accepted, want 1", ok, n)
	}
}

// TestConcurrentNamespaceCreate registers one name from several goroutines
// for different owners: exactly one owner may get it.
func TestConcurrentNamespaceCreate(t *testing.T) {
	k, _, _ := newTestKeyring(t)
	const n = 8
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = k.CreateNamespace("contested", fmt.Sprintf("owner%d", i), "test")
		}()
	}
	wg.Wait()
	ok := 0
	for _, err := range errs {
		switch {
		case err == nil:
			ok++
		case !errors.Is(err, ErrExists):
			t.Errorf("unexpected error %v", err)
		}
	}
	if ok != 1 {
		t.Fatalf("%d of %d concurrent creations succeeded, want 1", ok, n)
	}
}
