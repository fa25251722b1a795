package policies

import (
	"context"
	"io/fs"
	"regexp"
	"slices"
	"testing"
)

type denyCase struct {
	name   string
	mutate func(in *Input)
	reason string
	status int
	code   int
}

// denyCases has one case per deny reason of the policies (checked by
// TestEveryDenyReasonTested).
var denyCases = []denyCase{
	{"unknown route", func(in *Input) { in.Request.Route = "facebook/get" }, "route_unknown", 404, 401},
	{"schema says unknown route", func(in *Input) {
		in.Schema = SchemaResult{Errors: []SchemaError{{Kind: KindUnknownRoute, Message: "no such method"}}}
	}, "route_unknown", 404, 401},
	{"DELETE on an API route", func(in *Input) { in.Request.Method = "DELETE" }, "http_method_not_allowed", 405, 401},
	{"unknown key", func(in *Input) { in.Key = KeyInput{ID: "fg_live_nope"} }, "key_not_found", 401, 201},
	{"suspended key", func(in *Input) { in.Key.Status = "suspended" }, "key_suspended", 401, 204},
	{"revoked key", func(in *Input) { in.Key.Status = "revoked" }, "key_revoked", 401, 204},
	{"unknown key status", func(in *Input) { in.Key.Status = "" }, "key_status_unknown", 401, 204},
	{"expired key", func(in *Input) { in.Key.ExpiresAt = in.NowNS - 1 }, "key_expired", 401, 204},
	{"no credentials", func(in *Input) { in.Auth = AuthInput{} }, "no_credentials", 401, 204},
	{"unknown auth mode", func(in *Input) { in.Auth.Mode = "basic" }, "auth_mode_unknown", 401, 204},
	{"mode not allowed for key", func(in *Input) { in.Key.AuthModes = []string{"secret"} }, "auth_mode_not_allowed", 403, 304},
	{"secret over plain HTTP", func(in *Input) {
		in.Auth = AuthInput{Mode: "secret", SecretOK: true}
		in.Request.TLS = TLSInput{}
	}, "secret_without_tls", 403, 304},
	{"wrong secret", func(in *Input) { in.Auth = AuthInput{Mode: "secret"} }, "secret_invalid", 401, 204},
	{"signature missing", func(in *Input) { in.Auth.Signature = SignatureInput{} }, "signature_missing", 401, 204},
	{"signature invalid", func(in *Input) { in.Auth.Signature.Valid = false }, "signature_invalid", 401, 204},
	{"signature replayed", func(in *Input) { in.Auth.Signature.Replayed = true }, "signature_replayed", 401, 204},
	{"signature too old", func(in *Input) { in.Auth.Signature.AgeS = 301 }, "signature_stale", 401, 204},
	{"signature from the future", func(in *Input) { in.Auth.Signature.AgeS = -400 }, "signature_stale", 401, 204},
	{"content-digest not covered", func(in *Input) { in.Auth.Signature.Covered = in.Auth.Signature.Covered[:5] }, "signature_components", 401, 204},
	{"domain mode from another origin", func(in *Input) {
		in.Key.AuthModes = []string{"domain"}
		in.Auth = AuthInput{Mode: "domain"}
		in.Request.Origin = "https://evil.example.com"
	}, "origin_not_allowed", 403, 304},
	{"cert-bound key without the cert", func(in *Input) { in.Key.ClientCertSHA256 = "ab12" }, "cert_not_bound", 403, 304},
	{"wrong tags password", func(in *Input) { in.Auth.PasswordOK = boolPtr(false) }, "password_incorrect", 401, 205},
	{"route outside scopes", func(in *Input) { in.Key.Scopes = []string{"tags/*"} }, "scope_missing", 403, 307},
	{"domain key writing", func(in *Input) {
		in.Key.AuthModes = []string{"domain"}
		in.Auth = AuthInput{Mode: "domain"}
		in.Request.Origin = "https://app.example.com"
		in.Request.Route = "faces/train"
	}, "domain_write", 403, 307},
	{"missing param", func(in *Input) {
		in.Schema = SchemaResult{Errors: []SchemaError{{Kind: KindMissing, Param: "uids", Message: "is required"}}}
	}, "params_missing", 400, 402},
	{"list too long", func(in *Input) {
		in.Schema = SchemaResult{Errors: []SchemaError{{Kind: KindTooLong, Param: "uids", Message: "has too many items (at most 1000)"}}}
	}, "list_too_long", 400, 407},
	{"invalid param", func(in *Input) {
		in.Schema = SchemaResult{Errors: []SchemaError{{Kind: KindInvalid, Param: "detector", Message: "must be one of normal, aggressive"}}}
	}, "params_invalid", 400, 406},
	{"no image", func(in *Input) { in.Request.Images = 0 }, "images_missing", 400, 402},
	{"uid without namespace", func(in *Input) { in.Request.Params = map[string]string{"uids": "mark"} }, "namespace_missing", 400, 403},
	{"uids=all without namespace", func(in *Input) { in.Request.Params = map[string]string{"uids": "all"} }, "namespace_missing", 400, 403},
	{"foreign namespace param", func(in *Input) { in.Request.Params["namespace"] = "other" }, "namespace_not_owned", 403, 404},
	{"foreign uid namespace", func(in *Input) { in.Request.Params["uids"] = "mark@docs,eve@other" }, "namespace_not_owned", 403, 404},
	{"foreign namespaces list", func(in *Input) {
		in.Request.Route = "account/users"
		in.Request.Params = map[string]string{"namespaces": "docs,other"}
	}, "namespace_not_owned", 403, 404},
	{"broken limit override", func(in *Input) {
		in.Key.Limits = map[string]LimitOverride{"extra": {Count: 3}} // no kind
	}, "limit_config_invalid", 500, 104},
}

func TestDecideDenials(t *testing.T) {
	d := newTestDecider(t, "")
	for _, c := range denyCases {
		t.Run(c.name, func(t *testing.T) {
			in := realisticInput()
			c.mutate(in)
			got := d.Decide(context.Background(), in)
			if got.Allow || got.Reason != c.reason || got.Status != c.status || got.ErrorCode != c.code {
				t.Fatalf("got %s, want reason %s status %d code %d", got, c.reason, c.status, c.code)
			}
			if len(got.Limits) != 0 {
				t.Errorf("denied decision charges limits: %v", got.Limits)
			}
			if got.Detail == "" {
				t.Error("empty detail")
			}
		})
	}
}

// TestEveryDenyReasonTested fails when a policy gains a deny reason that
// denyCases does not exercise.
func TestEveryDenyReasonTested(t *testing.T) {
	re := regexp.MustCompile(`, "([a-z_]+)"\) if`)
	files, err := readPolicyFiles(embeddedPolicies(), false)
	if err != nil {
		t.Fatal(err)
	}
	tested := map[string]bool{}
	for _, c := range denyCases {
		tested[c.reason] = true
	}
	var reasons []string
	for _, f := range files {
		for _, m := range re.FindAllSubmatch(f.src, -1) {
			reasons = append(reasons, string(m[1]))
		}
	}
	if len(reasons) < 20 {
		t.Fatalf("found only %d deny reasons in the policies; the pattern is stale", len(reasons))
	}
	for _, r := range reasons {
		if !tested[r] {
			t.Errorf("deny reason %q has no case in denyCases", r)
		}
	}
}

func TestDecideAllows(t *testing.T) {
	d := newTestDecider(t, "")
	cases := []struct {
		name   string
		mutate func(in *Input)
		want   []Limit
	}{
		{"realistic recognize", func(*Input) {}, []Limit{
			{Name: "concurrency", Kind: "concurrency", Count: 2},
			{Name: "key-rate", Kind: "rate", Rate: 5, PerS: 1, Burst: 10},
			{Name: "quota", Kind: "quota", Count: 100, PerS: 3600, Cost: 2},
		}},
		{"secret mode, standard tier, 5 images", func(in *Input) {
			in.Auth = AuthInput{Mode: "secret", SecretOK: true}
			in.Key.Tier = "standard"
			in.Request.Images = 5
		}, []Limit{
			{Name: "concurrency", Kind: "concurrency", Count: 4},
			{Name: "key-rate", Kind: "rate", Rate: 10, PerS: 1, Burst: 20},
			{Name: "quota", Kind: "quota", Count: 1000, PerS: 3600, Cost: 5},
		}},
		{"unlimited key on account/limits", func(in *Input) {
			in.Key.Tier = "unlimited"
			in.Request.Route = "account/limits"
			in.Request.Params = nil
			in.Request.Images = 0
		}, []Limit{}},
		{"train with fractional override", func(in *Input) {
			in.Request.Route = "faces/train"
			in.Request.Images = 0
			in.Key.Limits = map[string]LimitOverride{"key-rate": {Rate: 0.5, Burst: 1}, "concurrency": {Disabled: true}}
		}, []Limit{
			{Name: "key-rate", Kind: "rate", Rate: 0.5, PerS: 1, Burst: 1},
			{Name: "quota", Kind: "quota", Count: 100, PerS: 3600, Cost: 1},
			{Name: "train-rate", Kind: "rate", Rate: 1, PerS: 10, Burst: 3},
		}},
		{"domain read from an allowed origin", func(in *Input) {
			in.Key.AuthModes = []string{"domain"}
			in.Auth = AuthInput{Mode: "domain"}
			in.Request.Origin = "https://app.example.com"
		}, nil},
		{"cert-bound key with its cert", func(in *Input) {
			in.Key.ClientCertSHA256 = "AB:12"
			in.Request.TLS.ClientCertSHA256 = "ab12"
		}, nil},
		{"proxied GET with a path scope", func(in *Input) {
			in.Request = RequestInput{Method: "GET", Route: "/v1/items/7", Proxied: true, TLS: TLSInput{Version: "1.3"}}
			in.Key.Scopes = []string{"/v1/*"}
		}, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			in := realisticInput()
			c.mutate(in)
			got := d.Decide(context.Background(), in)
			if !got.Allow || got.Status != 200 || got.ErrorCode != 0 || got.Reason != "ok" {
				t.Fatalf("got %s, want allow", got)
			}
			if c.want != nil && !slices.Equal(got.Limits, c.want) {
				t.Errorf("limits = %+v, want %+v", got.Limits, c.want)
			}
		})
	}
}

// TestSensitiveParamsNotInInput checks that api_secret and password never
// reach the policy input.
func TestSensitiveParamsNotInInput(t *testing.T) {
	in := realisticInput()
	in.Request.Params["api_secret"] = "s3cr3t-value"
	in.Request.Params["password"] = "hunter2"
	s := in.Value().String()
	for _, secret := range []string{"s3cr3t-value", "hunter2", "api_secret", "password\""} {
		if regexp.MustCompile(regexp.QuoteMeta(secret)).MatchString(s) {
			t.Errorf("policy input contains %q", secret)
		}
	}
	if !regexp.MustCompile(`"detector"`).MatchString(s) {
		t.Errorf("ordinary params missing from the input: %s", s)
	}
}

func TestEmbeddedFSHasPoliciesAndSchemas(t *testing.T) {
	for _, p := range []string{"facegate/decision.rego", "facegate/decision_test.rego", "schemas/faces_detect.json", "schemas/common.json"} {
		if _, err := fs.Stat(EmbeddedFS(), p); err != nil {
			t.Errorf("%s: %v", p, err)
		}
	}
}
