package policies

import (
	"github.com/open-policy-agent/opa/v1/ast"
)

// Value converts the input to an OPA value without a JSON round trip.
// Nil slices and maps become empty arrays and objects, and sensitive
// params (api_secret, password) are left out.
//
// It is on every request's path, so it shares the terms of constant
// strings, booleans and small numbers (the evaluator never mutates its
// input) and builds each object in one call.
func (in *Input) Value() ast.Value {
	return ast.NewObject(
		item("request", ast.NewTerm(in.Request.value())),
		item("key", ast.NewTerm(in.Key.value())),
		item("auth", ast.NewTerm(in.Auth.value())),
		item("schema", ast.NewTerm(in.Schema.value())),
		item("now_ns", intTerm(in.NowNS)),
	)
}

func (r *RequestInput) value() ast.Value {
	return ast.NewObject(
		item("method", stringTerm(r.Method)),
		item("route", stringTerm(r.Route)),
		item("params", paramsTerm(r.Params)),
		item("remote_ip", stringTerm(r.RemoteIP)),
		item("tls", ast.NewTerm(ast.NewObject(
			item("version", stringTerm(r.TLS.Version)),
			item("client_cert_sha256", stringTerm(r.TLS.ClientCertSHA256)),
		))),
		item("origin", stringTerm(r.Origin)),
		item("images", intTerm(int64(r.Images))),
		item("proxied", ast.InternedTerm(r.Proxied)),
	)
}

func paramsTerm(params map[string]string) *ast.Term {
	items := make([][2]*ast.Term, 0, len(params))
	for k, v := range params {
		if sensitiveParams[k] {
			continue
		}
		items = append(items, ast.Item(stringTerm(k), stringTerm(v)))
	}
	return ast.NewTerm(ast.NewObject(items...))
}

func (k *KeyInput) value() ast.Value {
	limits := make([][2]*ast.Term, 0, len(k.Limits))
	for name, o := range k.Limits {
		limits = append(limits, ast.Item(stringTerm(name), ast.NewTerm(o.value())))
	}
	return ast.NewObject(
		item("id", stringTerm(k.ID)),
		item("found", ast.InternedTerm(k.Found)),
		item("status", stringTerm(k.Status)),
		item("expires_at", intTerm(k.ExpiresAt)),
		item("scopes", stringArray(k.Scopes)),
		item("namespaces", stringArray(k.Namespaces)),
		item("auth_modes", stringArray(k.AuthModes)),
		item("allowed_origins", stringArray(k.AllowedOrigins)),
		item("client_cert_sha256", stringTerm(k.ClientCertSHA256)),
		item("tier", stringTerm(k.Tier)),
		item("limits", ast.NewTerm(ast.NewObject(limits...))),
		item("domain_write", ast.InternedTerm(k.DomainWrite)),
	)
}

// value keeps only the fields that are set, so that the policy merges
// them over the tier's limit (like the omitempty JSON encoding).
func (o LimitOverride) value() ast.Value {
	items := make([][2]*ast.Term, 0, 6)
	if o.Kind != "" {
		items = append(items, item("kind", stringTerm(o.Kind)))
	}
	if o.Rate != 0 {
		items = append(items, item("rate", ast.FloatNumberTerm(o.Rate)))
	}
	if o.PerS != 0 {
		items = append(items, item("per_s", ast.FloatNumberTerm(o.PerS)))
	}
	if o.Burst != 0 {
		items = append(items, item("burst", ast.InternedTerm(o.Burst)))
	}
	if o.Count != 0 {
		items = append(items, item("count", ast.InternedTerm(o.Count)))
	}
	if o.Disabled {
		items = append(items, item("disabled", ast.InternedTerm(true)))
	}
	return ast.NewObject(items...)
}

func (a *AuthInput) value() ast.Value {
	password := ast.NullTerm()
	if a.PasswordOK != nil {
		password = ast.InternedTerm(*a.PasswordOK)
	}
	s := &a.Signature
	return ast.NewObject(
		item("mode", stringTerm(a.Mode)),
		item("secret_ok", ast.InternedTerm(a.SecretOK)),
		item("password_ok", password),
		item("signature", ast.NewTerm(ast.NewObject(
			item("present", ast.InternedTerm(s.Present)),
			item("valid", ast.InternedTerm(s.Valid)),
			item("age_s", intTerm(s.AgeS)),
			item("replayed", ast.InternedTerm(s.Replayed)),
			item("covered", stringArray(s.Covered)),
		))),
		item("cert_bound", ast.InternedTerm(a.CertBound)),
	)
}

func (s *SchemaResult) value() ast.Value {
	errs := make([]*ast.Term, len(s.Errors))
	for i, e := range s.Errors {
		errs[i] = ast.NewTerm(ast.NewObject(
			item("kind", stringTerm(e.Kind)),
			item("param", stringTerm(e.Param)),
			item("message", stringTerm(e.Message)),
		))
	}
	return ast.NewObject(
		item("valid", ast.InternedTerm(s.Valid)),
		item("errors", ast.NewTerm(ast.NewArray(errs...))),
	)
}

// constantTerms are shared terms for the input's object keys and for the
// string values that recur on every request (methods, routes, modes,
// statuses, tiers, signature components). Terms are never mutated by
// evaluation, so every input can share them.
var constantTerms = func() map[string]*ast.Term {
	strs := []string{
		// keys
		"request", "key", "auth", "schema", "now_ns",
		"method", "route", "params", "remote_ip", "tls", "version", "client_cert_sha256", "origin", "images", "proxied",
		"id", "found", "status", "expires_at", "scopes", "namespaces", "auth_modes", "allowed_origins", "tier", "limits", "domain_write",
		"kind", "rate", "per_s", "burst", "count", "disabled",
		"mode", "secret_ok", "password_ok", "signature", "present", "valid", "age_s", "replayed", "covered", "cert_bound",
		"errors", "param", "message",
		// keys of the decision
		"allow", "error_code", "detail", "reason", "name", "cost",
		// values
		"", "GET", "POST", "HEAD", "OPTIONS", "PUT", "PATCH", "DELETE", "1.2", "1.3",
		"active", "suspended", "revoked", "free", "standard", "unlimited",
		"secret", "domain", "*", "proxy/*", "faces/*", "tags/*", "account/*", "extensions/*",
		"@method", "@authority", "@path", "@query", "@target-uri", "@request-target", "@scheme",
		"content-type", "content-digest", "content-length", "date",
		"quota", "concurrency", "key-rate", "train-rate",
		"missing", "too_long", "invalid", "unknown_route",
		"uids", "uid", "namespace", "pids", "tids", "urls", "detector", "attributes", "api_key", "format", "callback", "limit", "threshold",
		"faces/detect", "faces/recognize", "faces/group", "faces/train", "faces/status",
		"tags/add", "tags/save", "tags/get", "tags/remove",
		"account/authenticate", "account/limits", "account/users", "account/namespaces", "extensions/erase",
		"true", "false", "normal", "aggressive", "json", "xml",
	}
	m := make(map[string]*ast.Term, len(strs))
	for _, s := range strs {
		m[s] = ast.StringTerm(s)
	}
	return m
}()

// stringTerm is the shared term of a constant string, or a new one.
func stringTerm(s string) *ast.Term {
	if t, ok := constantTerms[s]; ok {
		return t
	}
	return ast.StringTerm(s)
}

// intTerm is OPA's interned term for small integers, or a new number.
func intTerm(n int64) *ast.Term {
	return ast.InternedTerm(n)
}

func item(key string, v *ast.Term) [2]*ast.Term {
	return ast.Item(stringTerm(key), v)
}

func stringArray(ss []string) *ast.Term {
	terms := make([]*ast.Term, len(ss))
	for i, s := range ss {
		terms[i] = stringTerm(s)
	}
	return ast.NewTerm(ast.NewArray(terms...))
}
