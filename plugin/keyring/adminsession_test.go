package keyring

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/facegate/facegate/store"
)

// openSession verifies a TOTP code for ops and opens a session.
func openSession(t *testing.T, k *Keyring, clk *fakeClock, token, uri string, ttl time.Duration) (AdminSession, string) {
	t.Helper()
	name, err := k.VerifyAdmin(token, codeAt(t, uri, clk.Now()), "192.0.2.1:1")
	if err != nil {
		t.Fatalf("VerifyAdmin: %v", err)
	}
	s, secret, err := k.OpenAdminSession(name, "192.0.2.1:1", ttl)
	if err != nil {
		t.Fatalf("OpenAdminSession: %v", err)
	}
	return s, secret
}

func TestAdminSession(t *testing.T) {
	k, st, clk := newTestKeyring(t)
	token, uri, _, _ := k.CreateAdmin("ops", "test")
	token2, _, _, _ := k.CreateAdmin("sec", "test")
	s, secret := openSession(t, k, clk, token, uri, DefaultSessionTTL)
	if !strings.HasPrefix(secret, SessionPrefix) || len(secret) < 50 || s.Admin != "ops" ||
		s.ExpiresAt != clk.Now().Add(DefaultSessionTTL).Unix() {
		t.Fatalf("session %+v, secret length %d", s, len(secret))
	}
	tests := []struct {
		name, token, secret string
		want                error // nil: accepted
	}{
		{"token and session", token, secret, nil},
		{"used again", token, secret, nil},
		{"session alone", "", secret, ErrAdminAuth},
		{"another admin's token", token2, secret, ErrAdminAuth},
		{"unknown session", token, SessionPrefix + strings.Repeat("a", 52), ErrAdminAuth},
		{"not a session", token, "123456", ErrAdminAuth},
		{"huge session", token, SessionPrefix + strings.Repeat("a", 4000), ErrAdminAuth},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			name, got, err := k.VerifyAdminSession(tt.token, tt.secret, "192.0.2.50:1")
			if tt.want == nil {
				if err != nil || name != "ops" || got.ID != s.ID {
					t.Fatalf("= %q %+v %v", name, got, err)
				}
				return
			}
			if !errors.Is(err, tt.want) || errors.Is(err, ErrSessionExpired) || name != "" {
				t.Fatalf("= %q %v, want %v", name, err, tt.want)
			}
		})
	}

	t.Run("stored only as a hash", func(t *testing.T) {
		_ = st.ScanJSON("", func(key string, raw []byte) error {
			if strings.Contains(key, secret) || strings.Contains(string(raw), secret) || strings.Contains(string(raw), secret[len(SessionPrefix):]) {
				t.Errorf("store entry %s holds the session secret", key)
			}
			return nil
		})
		audit, _ := k.ListAudit(time.Time{}, 1000)
		for _, e := range audit {
			if strings.Contains(e.Target+e.Detail, secret[len(SessionPrefix):]) {
				t.Errorf("audit entry %+v holds the session secret", e)
			}
		}
	})

	t.Run("expires and the expiry is audited once", func(t *testing.T) {
		clk.Advance(30 * time.Second)
		_, short := openSession(t, k, clk, token, uri, time.Minute)
		clk.Advance(time.Minute)
		for range 2 {
			if _, _, err := k.VerifyAdminSession(token, short, "192.0.2.1:1"); !errors.Is(err, ErrSessionExpired) {
				t.Fatalf("expired session = %v, want ErrSessionExpired", err)
			}
		}
		if n := countAction(k, "admin.session.expire"); n != 1 {
			t.Errorf("%d expiry entries, want 1", n)
		}
		// Not counted as failures: the right admin can still sign in.
		for range LockoutFailures {
			_, _, _ = k.VerifyAdminSession(token, short, "192.0.2.1:1")
		}
		clk.Advance(30 * time.Second)
		openSession(t, k, clk, token, uri, time.Minute)
	})

	t.Run("closed", func(t *testing.T) {
		clk.Advance(30 * time.Second)
		s2, sec2 := openSession(t, k, clk, token, uri, DefaultSessionTTL)
		if err := k.CloseAdminSession(s2.ID, "ops", "192.0.2.1:1"); err != nil {
			t.Fatal(err)
		}
		if _, _, err := k.VerifyAdminSession(token, sec2, "192.0.2.1:1"); !errors.Is(err, ErrSessionExpired) {
			t.Fatalf("closed session = %v", err)
		}
		if err := k.CloseAdminSession("nope", "ops", ""); !errors.Is(err, ErrNotFound) {
			t.Errorf("closing an unknown id = %v", err)
		}
		open, _ := k.ListAdminSessions()
		for _, o := range open {
			if o.ID == s2.ID {
				t.Error("closed session listed as open")
			}
		}
		if countAction(k, "admin.session.open") < 3 || countAction(k, "admin.session.close") < 1 {
			t.Error("open/close not audited")
		}
	})

	t.Run("re-enrolling the TOTP seed closes the admin's sessions", func(t *testing.T) {
		clk.Advance(30 * time.Second)
		_, sec3 := openSession(t, k, clk, token, uri, DefaultSessionTTL)
		if _, _, err := k.ReenrollTOTP("ops", "sec"); err != nil {
			t.Fatal(err)
		}
		if _, _, err := k.VerifyAdminSession(token, sec3, "192.0.2.1:1"); !errors.Is(err, ErrSessionExpired) {
			t.Fatalf("session after re-enrollment = %v", err)
		}
	})

	t.Run("bad lifetimes are refused", func(t *testing.T) {
		for _, ttl := range []time.Duration{0, -time.Second, MaxSessionTTL + time.Second} {
			if _, _, err := k.OpenAdminSession("ops", "", ttl); !errors.Is(err, ErrInvalid) {
				t.Errorf("ttl %s = %v", ttl, err)
			}
		}
	})
}

func TestUnknownSessionsLockOut(t *testing.T) {
	k, _, clk := newTestKeyring(t)
	token, uri, _, _ := k.CreateAdmin("ops", "test")
	for i := range LockoutFailures {
		if _, _, err := k.VerifyAdminSession(token, SessionPrefix+strings.Repeat("b", 52), "192.0.2.9:1"); !errors.Is(err, ErrAdminAuth) {
			t.Fatalf("guess %d = %v", i, err)
		}
	}
	if _, err := k.VerifyAdmin(token, codeAt(t, uri, clk.Now()), "192.0.2.10:1"); !errors.Is(err, ErrLockedOut) {
		t.Fatalf("after %d guessed sessions = %v, want the admin locked out", LockoutFailures, err)
	}
}

// A lockout lives in the store: closing and reopening it (a restart) does
// not lift it.
func TestLockoutSurvivesRestart(t *testing.T) {
	dir := t.TempDir()
	key := []byte("fedcba9876543210fedcba9876543210")
	clk := &fakeClock{t: time.Unix(1_800_000_000, 0)}
	open := func() (*Keyring, *store.Store) {
		st, err := store.Open(store.DefaultOptions(dir, key))
		if err != nil {
			t.Fatal(err)
		}
		k, err := New(st, testServerKey, clk.Now)
		if err != nil {
			t.Fatal(err)
		}
		return k, st
	}
	k, st := open()
	token, uri, _, _ := k.CreateAdmin("ops", "test")
	for range LockoutFailures {
		_, _ = k.VerifyAdmin("wrong", "123456", "198.51.100.4:1")
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	k, st = open()
	defer st.Close()
	_, err := k.VerifyAdmin(token, codeAt(t, uri, clk.Now()), "198.51.100.4:2")
	var le *LockoutError
	if !errors.As(err, &le) || le.RetryAfter != LockoutDuration {
		t.Fatalf("after a restart = %v, want the lockout kept", err)
	}
	clk.Advance(LockoutDuration)
	if _, err := k.VerifyAdmin(token, codeAt(t, uri, clk.Now()), "198.51.100.4:2"); err != nil {
		t.Fatalf("after the lockout ended = %v", err)
	}
}

// A store that fails makes admin authentication fail, not pass.
func TestAdminAuthFailsClosed(t *testing.T) {
	k, st, clk := newTestKeyring(t)
	token, uri, _, _ := k.CreateAdmin("ops", "test")
	_, secret := openSession(t, k, clk, token, uri, DefaultSessionTTL)
	clk.Advance(30 * time.Second)
	code := codeAt(t, uri, clk.Now())
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := k.VerifyAdmin(token, code, "192.0.2.1:1"); err == nil {
		t.Error("VerifyAdmin passed with a closed store")
	}
	if _, _, err := k.VerifyAdminSession(token, secret, "192.0.2.1:1"); err == nil {
		t.Error("VerifyAdminSession passed with a closed store")
	}
}

func countAction(k *Keyring, action string) int {
	audit, _ := k.ListAudit(time.Time{}, 1000)
	n := 0
	for _, e := range audit {
		if e.Action == action {
			n++
		}
	}
	return n
}
