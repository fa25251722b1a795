package keyring

import (
	"bytes"
	"errors"
	"regexp"
	"testing"
	"time"
)

func TestCreateAndGet(t *testing.T) {
	k, _, clk := newTestKeyring(t)
	mustNamespace(t, k, "docs", "acme")
	key, secret, err := k.Create(CreateParams{
		Owner: "acme", Label: "ci", Scopes: []string{"faces/*", "tags/get", "faces/*"},
		Namespaces: []string{"docs"}, ClientCertSHA256: "AB:" + string(bytes.Repeat([]byte("cd"), 31)),
		Limits: map[string]any{"rate": 5.0},
	}, "alice")
	if err != nil {
		t.Fatalf("Create: %v", err)
	}
	if !regexp.MustCompile(`^fg_live_[a-z2-7]{24}$`).MatchString(key.ID) {
		t.Errorf("id %q has the wrong shape", key.ID)
	}
	if !regexp.MustCompile(`^[A-Za-z0-9_-]{43}$`).MatchString(secret) {
		t.Errorf("secret has the wrong shape (len %d)", len(secret))
	}
	gotFields := map[string]any{
		"status": key.Status, "tier": key.Tier, "scopes": len(key.Scopes), "modes": len(key.AuthModes),
		"created": key.CreatedAt, "cert": key.ClientCertSHA256[:4],
	}
	exp := map[string]any{
		"status": StatusActive, "tier": "free", "scopes": 2, "modes": 2,
		"created": clk.Now().Unix(), "cert": "abcd",
	}
	for f, v := range exp {
		if gotFields[f] != v {
			t.Errorf("%s = %v, want %v", f, gotFields[f], v)
		}
	}
	got, err := k.Get(key.ID)
	if err != nil || got.ID != key.ID || got.Owner != "acme" || got.Label != "ci" || got.Limits["rate"] != 5.0 {
		t.Fatalf("Get = %+v, %v", got, err)
	}
	other, _, err := k.Create(CreateParams{Owner: "acme", Namespaces: []string{"*"}}, "alice")
	if err != nil || other.ID == key.ID {
		t.Fatalf("second Create: %v (same id: %v)", err, other.ID == key.ID)
	}
	for owner, n := range map[string]int{"acme": 2, "": 2, "nobody": 0} {
		list, err := k.List(owner)
		if err != nil || len(list) != n {
			t.Errorf("List(%q) = %d keys, %v; want %d", owner, len(list), err, n)
		}
	}
	if _, err := k.Get("fg_live_aaaaaaaaaaaaaaaaaaaaaaaa"); !errors.Is(err, ErrNotFound) {
		t.Errorf("Get(unknown) = %v, want ErrNotFound", err)
	}
	if _, err := k.Get("../../etc"); !errors.Is(err, ErrNotFound) {
		t.Errorf("Get(malformed) = %v, want ErrNotFound", err)
	}
}

func TestCreateRejectsBadParams(t *testing.T) {
	k, _, clk := newTestKeyring(t)
	mustNamespace(t, k, "docs", "acme")
	mustNamespace(t, k, "theirs", "other")
	long := string(bytes.Repeat([]byte("x"), 200))
	tests := []struct {
		name string
		p    CreateParams
		want error
	}{
		{"no owner", CreateParams{}, ErrInvalid},
		{"bad owner", CreateParams{Owner: "a b"}, ErrInvalid},
		{"long label", CreateParams{Owner: "acme", Label: long}, ErrInvalid},
		{"control char label", CreateParams{Owner: "acme", Label: "a\nb"}, ErrInvalid},
		{"bad tier", CreateParams{Owner: "acme", Tier: "Gold Plus"}, ErrInvalid},
		{"bad scope", CreateParams{Owner: "acme", Scopes: []string{"faces/detect;drop"}}, ErrInvalid},
		{"bad mode", CreateParams{Owner: "acme", AuthModes: []string{"password"}}, ErrInvalid},
		{"domain without origins", CreateParams{Owner: "acme", AuthModes: []string{ModeDomain}}, ErrInvalid},
		{"origin with path", CreateParams{Owner: "acme", AuthModes: []string{ModeDomain}, AllowedOrigins: []string{"https://a.example/x"}}, ErrInvalid},
		{"bad cert", CreateParams{Owner: "acme", ClientCertSHA256: "abcd"}, ErrInvalid},
		{"expired", CreateParams{Owner: "acme", ExpiresAt: clk.Now().Unix() - 1}, ErrInvalid},
		{"bad namespace", CreateParams{Owner: "acme", Namespaces: []string{"a/b"}}, ErrInvalid},
		{"unregistered namespace", CreateParams{Owner: "acme", Namespaces: []string{"nope"}}, ErrNotFound},
		{"other owner's namespace", CreateParams{Owner: "acme", Namespaces: []string{"theirs"}}, ErrNamespaceOwner},
		{"huge limits", CreateParams{Owner: "acme", Limits: map[string]any{"x": long + long + long + long + long + long + long + long + long + long + long + long + long + long + long + long + long + long + long + long + long}}, ErrInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, _, err := k.Create(tt.p, "test"); !errors.Is(err, tt.want) {
				t.Fatalf("Create = %v, want %v", err, tt.want)
			}
		})
	}
	if list, _ := k.List(""); len(list) != 0 {
		t.Errorf("%d keys stored after failed creates", len(list))
	}
	okDomain := CreateParams{Owner: "acme", AuthModes: []string{ModeDomain}, AllowedOrigins: []string{"https://app.example:8443"}}
	if _, _, err := k.Create(okDomain, "test"); err != nil {
		t.Errorf("valid domain key refused: %v", err)
	}
}

// TestSecretsNeverStored scans every raw value in the database after
// creating keys and an admin: no secret, token or TOTP seed may appear.
func TestSecretsNeverStored(t *testing.T) {
	k, st, _ := newTestKeyring(t)
	_, s1 := mustKey(t, k, ModeSecret, ModeSignature)
	_, s2 := mustKey(t, k, ModeSecret)
	key3, _ := mustKey(t, k, ModeSignature)
	s3, err := k.Rotate(key3.ID, time.Hour, "test")
	if err != nil {
		t.Fatal(err)
	}
	token, uri, _, err := k.CreateAdmin("ops", "test")
	if err != nil {
		t.Fatal(err)
	}
	seed := regexp.MustCompile(`secret=([A-Z2-7]+)`).FindStringSubmatch(uri)[1]
	needles := map[string]string{"secret1": s1, "secret2": s2, "rotated": s3, "token": token, "totp seed": seed}
	n := 0
	err = st.Stream("", func(key string, v []byte) error {
		n++
		for what, s := range needles {
			if bytes.Contains(v, []byte(s)) {
				t.Errorf("%s found in plaintext under %s", what, key)
			}
		}
		return nil
	})
	if err != nil || n < 5 {
		t.Fatalf("scanned %d values: %v", n, err)
	}
}

func TestKeyUsable(t *testing.T) {
	now := time.Unix(1000, 0)
	tests := []struct {
		key  Key
		want error
	}{
		{Key{Status: StatusActive}, nil},
		{Key{Status: StatusActive, ExpiresAt: 1001}, nil},
		{Key{Status: StatusActive, ExpiresAt: 1000}, ErrExpired},
		{Key{Status: StatusSuspended}, ErrSuspended},
		{Key{Status: StatusRevoked}, ErrRevoked},
		{Key{Status: "weird"}, ErrRevoked},
	}
	for _, tt := range tests {
		t.Run(tt.key.Status, func(t *testing.T) {
			if err := tt.key.Usable(now); !errors.Is(err, tt.want) {
				t.Errorf("Usable = %v, want %v", err, tt.want)
			}
		})
	}
}

func TestNewRejectsBadServerKey(t *testing.T) {
	_, st, _ := newTestKeyring(t)
	if _, err := New(st, []byte("short"), nil); err == nil {
		t.Fatal("New accepted a 5-byte server key")
	}
	if _, err := New(nil, testServerKey, nil); err == nil {
		t.Fatal("New accepted a nil store")
	}
}
