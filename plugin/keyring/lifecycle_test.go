package keyring

import (
	"bytes"
	"errors"
	"testing"
	"time"
)

// TestLifecycleTransitions walks a key through every transition and checks
// after each one what CheckSecret and SigningSecrets answer.
func TestLifecycleTransitions(t *testing.T) {
	k, _, _ := newTestKeyring(t)
	key, secret := mustKey(t, k)
	steps := []struct {
		name      string
		op        func() error
		wantErr   error
		status    string
		secretOK  bool
		signedErr error
	}{
		{"suspend", func() error { return k.Suspend(key.ID, "t") }, nil, StatusSuspended, false, ErrSuspended},
		{"suspend again", func() error { return k.Suspend(key.ID, "t") }, nil, StatusSuspended, false, ErrSuspended},
		{"resume", func() error { return k.Resume(key.ID, "t") }, nil, StatusActive, true, nil},
		{"revoke", func() error { return k.Revoke(key.ID, "t") }, nil, StatusRevoked, false, ErrRevoked},
		{"resume revoked", func() error { return k.Resume(key.ID, "t") }, ErrBadTransition, StatusRevoked, false, ErrRevoked},
		{"suspend revoked", func() error { return k.Suspend(key.ID, "t") }, ErrBadTransition, StatusRevoked, false, ErrRevoked},
		{"rotate revoked", func() error { _, err := k.Rotate(key.ID, 0, "t"); return err }, ErrBadTransition, StatusRevoked, false, ErrRevoked},
		{"update revoked", func() error { return k.Update(key.ID, CreateParams{Owner: "acme"}, "t") }, ErrBadTransition, StatusRevoked, false, ErrRevoked},
		{"delete", func() error { return k.Delete(key.ID, "t") }, nil, "", false, ErrNotFound},
		{"delete again", func() error { return k.Delete(key.ID, "t") }, ErrNotFound, "", false, ErrNotFound},
	}
	for _, s := range steps {
		t.Run(s.name, func(t *testing.T) {
			if err := s.op(); !errors.Is(err, s.wantErr) {
				t.Fatalf("op = %v, want %v", err, s.wantErr)
			}
			got, err := k.Get(key.ID)
			if s.status == "" {
				if !errors.Is(err, ErrNotFound) {
					t.Fatalf("Get after delete = %v", err)
				}
			} else if got.Status != s.status {
				t.Fatalf("status = %q, want %q", got.Status, s.status)
			}
			if ok := k.CheckSecret(key.ID, secret); ok != s.secretOK {
				t.Errorf("CheckSecret = %v, want %v", ok, s.secretOK)
			}
			if _, err := k.SigningSecrets(key.ID); !errors.Is(err, s.signedErr) {
				t.Errorf("SigningSecrets = %v, want %v", err, s.signedErr)
			}
		})
	}
}

func TestCheckSecret(t *testing.T) {
	k, _, _ := newTestKeyring(t)
	key, secret := mustKey(t, k)
	other, otherSecret := mustKey(t, k)
	tests := []struct {
		name, id, secret string
		want             bool
	}{
		{"right", key.ID, secret, true},
		{"wrong", key.ID, secret[:42] + "x", false},
		{"empty", key.ID, "", false},
		{"other key's secret", key.ID, otherSecret, false},
		{"other key right", other.ID, otherSecret, true},
		{"unknown id", "fg_live_aaaaaaaaaaaaaaaaaaaaaaaa", secret, false},
		{"malformed id", "x", secret, false},
		{"dummy", "dummy", "dummy", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := k.CheckSecret(tt.id, tt.secret); got != tt.want {
				t.Errorf("CheckSecret = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestExpiry(t *testing.T) {
	k, _, clk := newTestKeyring(t)
	mustNamespace(t, k, "docs", "acme")
	key, secret, err := k.Create(CreateParams{Owner: "acme", Namespaces: []string{"docs"}, ExpiresAt: clk.Now().Unix() + 60}, "t")
	if err != nil {
		t.Fatal(err)
	}
	if !k.CheckSecret(key.ID, secret) {
		t.Fatal("key refused before expiry")
	}
	clk.Advance(60 * time.Second)
	if k.CheckSecret(key.ID, secret) {
		t.Error("expired key accepted by CheckSecret")
	}
	if _, err := k.SigningSecrets(key.ID); !errors.Is(err, ErrExpired) {
		t.Errorf("SigningSecrets = %v, want ErrExpired", err)
	}
}

func TestRotateGracePeriod(t *testing.T) {
	k, _, clk := newTestKeyring(t)
	key, old := mustKey(t, k)
	fresh, err := k.Rotate(key.ID, time.Hour, "t")
	if err != nil {
		t.Fatal(err)
	}
	if fresh == old {
		t.Fatal("rotation returned the same secret")
	}
	check := func(when string, oldOK bool, nSecrets int) {
		t.Helper()
		if !k.CheckSecret(key.ID, fresh) {
			t.Errorf("%s: new secret refused", when)
		}
		if got := k.CheckSecret(key.ID, old); got != oldOK {
			t.Errorf("%s: old secret accepted = %v, want %v", when, got, oldOK)
		}
		secrets, err := k.SigningSecrets(key.ID)
		if err != nil || len(secrets) != nSecrets {
			t.Fatalf("%s: SigningSecrets = %d, %v; want %d", when, len(secrets), err, nSecrets)
		}
		if string(secrets[0]) != fresh || (nSecrets == 2 && string(secrets[1]) != old) {
			t.Errorf("%s: SigningSecrets not [new, old]", when)
		}
	}
	check("during grace", true, 2)
	clk.Advance(time.Hour - time.Second)
	check("end of grace", true, 2)
	clk.Advance(time.Second)
	check("after grace", false, 1)

	again, err := k.Rotate(key.ID, 0, "t")
	if err != nil {
		t.Fatal(err)
	}
	if k.CheckSecret(key.ID, fresh) || !k.CheckSecret(key.ID, again) {
		t.Error("rotation without grace must invalidate the previous secret at once")
	}
	// The unsealed secrets cached by the checks above must not outlive it.
	if secrets, err := k.SigningSecrets(key.ID); err != nil || len(secrets) != 1 || string(secrets[0]) != again {
		t.Errorf("after a second rotation: SigningSecrets = %d secrets, %v; want only the new one", len(secrets), err)
	}
	if got, _ := k.Get(key.ID); got.RotatedAt != clk.Now().Unix() {
		t.Errorf("rotated_at = %d, want %d", got.RotatedAt, clk.Now().Unix())
	}
	for _, g := range []time.Duration{-time.Second, MaxRotationGrace + time.Second} {
		if _, err := k.Rotate(key.ID, g, "t"); !errors.Is(err, ErrInvalid) {
			t.Errorf("Rotate(grace %s) = %v, want ErrInvalid", g, err)
		}
	}
}

func TestSignatureModeNeedsSealedSecret(t *testing.T) {
	k, st, _ := newTestKeyring(t)
	key, _ := mustKey(t, k, ModeSecret)
	if _, err := k.SigningSecrets(key.ID); !errors.Is(err, ErrInvalid) {
		t.Fatalf("SigningSecrets on a secret-only key = %v, want ErrInvalid", err)
	}
	var rec keyRecord
	if err := st.GetJSON(prefixKey+key.ID, &rec); err != nil || len(rec.SecretSealed) != 0 || len(rec.SecretHash) != 32 {
		t.Fatalf("secret-only record: sealed %d bytes, hash %d bytes, %v", len(rec.SecretSealed), len(rec.SecretHash), err)
	}
	p := CreateParams{Owner: "acme", Namespaces: []string{"docs"}, AuthModes: []string{ModeSignature}}
	if err := k.Update(key.ID, p, "t"); err != nil {
		t.Fatal(err)
	}
	if _, err := k.SigningSecrets(key.ID); !errors.Is(err, ErrNeedsRotation) {
		t.Fatalf("SigningSecrets after enabling signatures = %v, want ErrNeedsRotation", err)
	}
	secret, err := k.Rotate(key.ID, 0, "t")
	if err != nil {
		t.Fatal(err)
	}
	got, err := k.SigningSecrets(key.ID)
	if err != nil || len(got) != 1 || string(got[0]) != secret {
		t.Fatalf("SigningSecrets after rotation = %d, %v", len(got), err)
	}
}

func TestSealedSecretBoundToServerKeyAndID(t *testing.T) {
	k, st, _ := newTestKeyring(t)
	a, _ := mustKey(t, k)
	b, _ := mustKey(t, k)
	other, err := New(st, bytes.Repeat([]byte{7}, 32), nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := other.SigningSecrets(a.ID); err == nil {
		t.Error("secret unsealed with another server key")
	}
	// Swap b's sealed secret into a's record: the AAD (key id) must refuse it.
	var ra, rb keyRecord
	_ = st.GetJSON(prefixKey+a.ID, &ra)
	_ = st.GetJSON(prefixKey+b.ID, &rb)
	ra.SecretSealed = rb.SecretSealed
	if err := st.PutJSON(prefixKey+a.ID, ra, 0); err != nil {
		t.Fatal(err)
	}
	k.invalidate(a.ID)
	if _, err := k.SigningSecrets(a.ID); err == nil {
		t.Error("sealed secret of another key accepted")
	}
}

func TestUpdate(t *testing.T) {
	k, _, _ := newTestKeyring(t)
	key, secret := mustKey(t, k)
	mustNamespace(t, k, "more", "acme")
	mustNamespace(t, k, "theirs", "other")
	p := CreateParams{Owner: "acme", Label: "new", Tier: "pro", Scopes: []string{"*"}, Namespaces: []string{"docs", "more"}, AuthModes: []string{ModeSecret}}
	if err := k.Update(key.ID, p, "t"); err != nil {
		t.Fatal(err)
	}
	got, _ := k.Get(key.ID)
	if got.Label != "new" || got.Tier != "pro" || len(got.Namespaces) != 2 || got.Status != StatusActive || got.CreatedAt != key.CreatedAt {
		t.Errorf("after Update: %+v", got)
	}
	if !k.CheckSecret(key.ID, secret) {
		t.Error("Update changed the secret")
	}
	p.Namespaces = []string{"theirs"}
	if err := k.Update(key.ID, p, "t"); !errors.Is(err, ErrNamespaceOwner) {
		t.Errorf("Update onto another owner's namespace = %v", err)
	}
	if err := k.Update("fg_live_aaaaaaaaaaaaaaaaaaaaaaaa", CreateParams{Owner: "acme"}, "t"); !errors.Is(err, ErrNotFound) {
		t.Errorf("Update(unknown) = %v", err)
	}
}

// TestRevokeEffectiveThroughCache revokes a key whose record is cached:
// the very next check must refuse it.
func TestRevokeEffectiveThroughCache(t *testing.T) {
	k, _, _ := newTestKeyring(t)
	key, secret := mustKey(t, k)
	for range 3 {
		if !k.CheckSecret(key.ID, secret) {
			t.Fatal("active key refused")
		}
	}
	if err := k.Revoke(key.ID, "t"); err != nil {
		t.Fatal(err)
	}
	if k.CheckSecret(key.ID, secret) {
		t.Fatal("revoked key accepted from the cache")
	}
}

func TestTouch(t *testing.T) {
	k, _, clk := newTestKeyring(t)
	key, _ := mustKey(t, k)
	gone, _ := mustKey(t, k)
	k.Touch(key.ID)
	k.Touch(gone.ID)
	k.Touch("not-an-id")
	if err := k.Delete(gone.ID, "t"); err != nil {
		t.Fatal(err)
	}
	clk.Advance(5 * time.Second)
	k.Touch(key.ID)
	if err := k.Close(); err != nil {
		t.Fatal(err)
	}
	got, err := k.Get(key.ID)
	if err != nil || got.LastUsedAt != clk.Now().Unix() {
		t.Errorf("last_used_at = %d, %v; want %d", got.LastUsedAt, err, clk.Now().Unix())
	}
	if _, err := k.Get(gone.ID); !errors.Is(err, ErrNotFound) {
		t.Errorf("touch resurrected a deleted key: %v", err)
	}
}

// TestMissCache checks that an id remembered as unknown becomes visible
// once a change to it is committed.
func TestMissCache(t *testing.T) {
	k, st, _ := newTestKeyring(t)
	key, secret := mustKey(t, k)
	var rec keyRecord
	if err := st.GetJSON(prefixKey+key.ID, &rec); err != nil {
		t.Fatal(err)
	}
	if err := k.Delete(key.ID, "t"); err != nil {
		t.Fatal(err)
	}
	for range 2 { // the second lookup is served by the miss cache
		if k.CheckSecret(key.ID, secret) {
			t.Fatal("deleted key accepted")
		}
	}
	if err := st.PutJSON(prefixKey+key.ID, rec, 0); err != nil {
		t.Fatal(err)
	}
	k.invalidate(key.ID) // what every keyring change does after committing
	if !k.CheckSecret(key.ID, secret) {
		t.Fatal("restored key still reported unknown")
	}
}
