package keyring

import (
	"bytes"
	"errors"
	"fmt"
	"image/png"
	"strings"
	"testing"
	"time"
)

func TestVerifyAdmin(t *testing.T) {
	k, _, clk := newTestKeyring(t)
	token, uri, qr, err := k.CreateAdmin("ops", "test")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(uri, "otpauth://totp/facegate:ops?") || !strings.Contains(uri, "issuer=facegate") {
		t.Errorf("otpauth URI = %q", uri)
	}
	if _, err := png.Decode(bytes.NewReader(qr)); err != nil {
		t.Errorf("QR is not a PNG: %v", err)
	}
	const ip = "192.0.2.1:5555"
	now := clk.Now()
	tests := []struct {
		name, token, code string
		want              error
	}{
		{"right", token, codeAt(t, uri, now), nil},
		{"replayed code", token, codeAt(t, uri, now), ErrCodeReused},
		{"previous step (skew)", token, codeAt(t, uri, now.Add(-30*time.Second)), nil},
		{"next step (skew)", token, codeAt(t, uri, now.Add(30*time.Second)), nil},
		{"two steps ago", token, codeAt(t, uri, now.Add(-60*time.Second)), ErrAdminAuth},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			name, err := k.VerifyAdmin(tt.token, tt.code, ip)
			if !errors.Is(err, tt.want) {
				t.Fatalf("VerifyAdmin = %q, %v; want %v", name, err, tt.want)
			}
			if err == nil && name != "ops" {
				t.Fatalf("admin name = %q", name)
			}
		})
	}
	for _, tt := range []struct{ name, token, code string }{
		{"wrong token", token + "x", codeAt(t, uri, now)},
		{"empty token", "", codeAt(t, uri, now)},
		{"wrong code", token, "000000"},
		{"empty code", token, ""},
		{"long code", token, "1234567"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := k.VerifyAdmin(tt.token, tt.code, "198.51.100."+fmt.Sprint(len(tt.name))+":1")
			if !errors.Is(err, ErrAdminAuth) || errors.Is(err, ErrCodeReused) || errors.Is(err, ErrLockedOut) {
				t.Fatalf("VerifyAdmin = %v, want plain ErrAdminAuth", err)
			}
			if err.Error() != ErrAdminAuth.Error() {
				t.Fatalf("error %q says more than the generic message", err)
			}
		})
	}
}

// TestUsedStepsPersist checks that a used code stays refused by a new
// keyring on the same store (a restart).
func TestUsedStepsPersist(t *testing.T) {
	k, st, clk := newTestKeyring(t)
	token, uri, _, err := k.CreateAdmin("ops", "test")
	if err != nil {
		t.Fatal(err)
	}
	code := codeAt(t, uri, clk.Now())
	if _, err := k.VerifyAdmin(token, code, "192.0.2.1:1"); err != nil {
		t.Fatal(err)
	}
	k2, err := New(st, testServerKey, clk.Now)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := k2.VerifyAdmin(token, code, "192.0.2.1:1"); !errors.Is(err, ErrCodeReused) {
		t.Fatalf("replay after restart = %v, want ErrCodeReused", err)
	}
}

func TestLockoutPerAddress(t *testing.T) {
	k, _, clk := newTestKeyring(t)
	token, uri, _, err := k.CreateAdmin("ops", "test")
	if err != nil {
		t.Fatal(err)
	}
	const ip = "203.0.113.9:1000"
	for i := range LockoutFailures {
		if _, err := k.VerifyAdmin("wrong", "123456", fmt.Sprintf("203.0.113.9:%d", 2000+i)); !errors.Is(err, ErrAdminAuth) {
			t.Fatalf("failure %d = %v", i, err)
		}
	}
	_, err = k.VerifyAdmin(token, codeAt(t, uri, clk.Now()), ip)
	var le *LockoutError
	if !errors.As(err, &le) || !errors.Is(err, ErrLockedOut) || le.RetryAfter != LockoutDuration {
		t.Fatalf("right credentials from a locked address = %v, want lockout of %s", err, LockoutDuration)
	}
	if _, err := k.VerifyAdmin(token, codeAt(t, uri, clk.Now()), "203.0.113.10:1"); err != nil {
		t.Fatalf("another address is locked out too: %v", err)
	}
	clk.Advance(LockoutDuration)
	if _, err := k.VerifyAdmin(token, codeAt(t, uri, clk.Now()), ip); err != nil {
		t.Fatalf("still locked out after %s: %v", LockoutDuration, err)
	}
	audit, _ := k.ListAudit(time.Time{}, 100)
	if !hasAction(audit, "admin.lockout") {
		t.Error("lockout not audited")
	}
}

func TestLockoutPerAdmin(t *testing.T) {
	k, _, clk := newTestKeyring(t)
	token, uri, _, err := k.CreateAdmin("ops", "test")
	if err != nil {
		t.Fatal(err)
	}
	// Right token, wrong code, from a new address each time.
	for i := range LockoutFailures {
		if _, err := k.VerifyAdmin(token, "000000", fmt.Sprintf("10.0.0.%d:1", i)); !errors.Is(err, ErrAdminAuth) {
			t.Fatalf("failure %d = %v", i, err)
		}
	}
	if _, err := k.VerifyAdmin(token, codeAt(t, uri, clk.Now()), "10.0.1.1:1"); !errors.Is(err, ErrLockedOut) {
		t.Fatalf("locked admin from a fresh address = %v, want ErrLockedOut", err)
	}
}

func TestLockoutWindowSlides(t *testing.T) {
	k, _, clk := newTestKeyring(t)
	token, uri, _, _ := k.CreateAdmin("ops", "test")
	for range LockoutFailures - 1 {
		_, _ = k.VerifyAdmin("wrong", "123456", "192.0.2.7:1")
	}
	clk.Advance(LockoutWindow)
	_, _ = k.VerifyAdmin("wrong", "123456", "192.0.2.7:1")
	if _, err := k.VerifyAdmin(token, codeAt(t, uri, clk.Now()), "192.0.2.7:1"); err != nil {
		t.Fatalf("failures older than the window still counted: %v", err)
	}
}

func TestReplayDoesNotCountTowardLockout(t *testing.T) {
	k, _, clk := newTestKeyring(t)
	token, uri, _, _ := k.CreateAdmin("ops", "test")
	code := codeAt(t, uri, clk.Now())
	for i := range LockoutFailures + 2 {
		_, err := k.VerifyAdmin(token, code, "192.0.2.8:1")
		if i > 0 && !errors.Is(err, ErrCodeReused) {
			t.Fatalf("replay %d = %v, want ErrCodeReused", i, err)
		}
	}
	clk.Advance(30 * time.Second)
	if _, err := k.VerifyAdmin(token, codeAt(t, uri, clk.Now()), "192.0.2.8:1"); err != nil {
		t.Fatalf("next code refused: %v", err)
	}
}

func TestAdminManagement(t *testing.T) {
	k, _, clk := newTestKeyring(t)
	_, uri, _, err := k.CreateAdmin("ops", "root")
	if err != nil {
		t.Fatal(err)
	}
	token2, _, _, err := k.CreateAdmin("sec", "root")
	if err != nil {
		t.Fatal(err)
	}
	if _, _, _, err := k.CreateAdmin("ops", "root"); !errors.Is(err, ErrExists) {
		t.Errorf("duplicate admin = %v", err)
	}
	if _, _, _, err := k.CreateAdmin("bad name", "root"); !errors.Is(err, ErrInvalid) {
		t.Errorf("bad admin name = %v", err)
	}
	list, err := k.ListAdmins()
	if err != nil || len(list) != 2 || list[0].Name != "ops" || list[1].Name != "sec" {
		t.Fatalf("ListAdmins = %+v, %v", list, err)
	}
	// The QR code is served once after enrollment.
	if qr, err := k.TOTPQR("ops", "root"); err != nil || len(qr) == 0 {
		t.Fatalf("TOTPQR = %d bytes, %v", len(qr), err)
	}
	if _, err := k.TOTPQR("ops", "root"); !errors.Is(err, ErrQRGone) {
		t.Errorf("second TOTPQR = %v, want ErrQRGone", err)
	}
	uri2, qr2, err := k.ReenrollTOTP("sec", "root")
	if err != nil || len(qr2) == 0 {
		t.Fatal(err)
	}
	if _, err := k.VerifyAdmin(token2, codeAt(t, uri, clk.Now()), "192.0.2.1:1"); !errors.Is(err, ErrAdminAuth) {
		t.Errorf("another admin's code accepted: %v", err)
	}
	if _, err := k.VerifyAdmin(token2, codeAt(t, uri2, clk.Now()), "192.0.2.1:1"); err != nil {
		t.Errorf("re-enrolled code refused: %v", err)
	}
	if list, _ := k.ListAdmins(); list[1].LastLoginAt != clk.Now().Unix() {
		t.Errorf("last_login_at = %d", list[1].LastLoginAt)
	}
	if err := k.DeleteAdmin("sec", "root"); err != nil {
		t.Fatal(err)
	}
	if _, err := k.VerifyAdmin(token2, codeAt(t, uri2, clk.Now().Add(30*time.Second)), "192.0.2.1:1"); !errors.Is(err, ErrAdminAuth) {
		t.Errorf("deleted admin still authenticates: %v", err)
	}
	if err := k.DeleteAdmin("ops", "root"); !errors.Is(err, ErrLastAdmin) {
		t.Errorf("deleting the last admin = %v", err)
	}
	if err := k.DeleteAdmin("ghost", "root"); !errors.Is(err, ErrNotFound) {
		t.Errorf("deleting an unknown admin = %v", err)
	}
	if _, _, err := k.ReenrollTOTP("ghost", "root"); !errors.Is(err, ErrNotFound) {
		t.Errorf("re-enrolling an unknown admin = %v", err)
	}
}

func hasAction(entries []AuditEntry, action string) bool {
	for _, e := range entries {
		if e.Action == action {
			return true
		}
	}
	return false
}
