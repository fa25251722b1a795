package policies

import (
	"strconv"

	"github.com/open-policy-agent/opa/v1/ast"
)

// Value converts the input to an OPA value without a JSON round trip.
// Nil slices and maps become empty arrays and objects, and sensitive
// params (api_secret, password) are left out.
func (in *Input) Value() ast.Value {
	return ast.NewObject(
		item("request", in.Request.value()),
		item("key", in.Key.value()),
		item("auth", in.Auth.value()),
		item("schema", in.Schema.value()),
		item("now_ns", ast.Number(itoa(in.NowNS))),
	)
}

func (r *RequestInput) value() ast.Value {
	params := ast.NewObject()
	for k, v := range r.Params {
		if sensitiveParams[k] {
			continue
		}
		params.Insert(ast.StringTerm(k), ast.StringTerm(v))
	}
	return ast.NewObject(
		item("method", ast.String(r.Method)),
		item("route", ast.String(r.Route)),
		item("params", params),
		item("remote_ip", ast.String(r.RemoteIP)),
		item("tls", ast.NewObject(
			item("version", ast.String(r.TLS.Version)),
			item("client_cert_sha256", ast.String(r.TLS.ClientCertSHA256)),
		)),
		item("origin", ast.String(r.Origin)),
		item("images", ast.Number(itoa(int64(r.Images)))),
		item("proxied", ast.Boolean(r.Proxied)),
	)
}

func (k *KeyInput) value() ast.Value {
	limits := ast.NewObject()
	for name, o := range k.Limits {
		limits.Insert(ast.StringTerm(name), ast.NewTerm(o.value()))
	}
	return ast.NewObject(
		item("id", ast.String(k.ID)),
		item("found", ast.Boolean(k.Found)),
		item("status", ast.String(k.Status)),
		item("expires_at", ast.Number(itoa(k.ExpiresAt))),
		item("scopes", stringArray(k.Scopes)),
		item("namespaces", stringArray(k.Namespaces)),
		item("auth_modes", stringArray(k.AuthModes)),
		item("allowed_origins", stringArray(k.AllowedOrigins)),
		item("client_cert_sha256", ast.String(k.ClientCertSHA256)),
		item("tier", ast.String(k.Tier)),
		item("limits", limits),
		item("domain_write", ast.Boolean(k.DomainWrite)),
	)
}

// value keeps only the fields that are set, so that the policy merges
// them over the tier's limit (like the omitempty JSON encoding).
func (o LimitOverride) value() ast.Value {
	obj := ast.NewObject()
	if o.Kind != "" {
		obj.Insert(keyTerms["kind"], ast.StringTerm(o.Kind))
	}
	if o.Rate != 0 {
		obj.Insert(keyTerms["rate"], ast.FloatNumberTerm(o.Rate))
	}
	if o.PerS != 0 {
		obj.Insert(keyTerms["per_s"], ast.FloatNumberTerm(o.PerS))
	}
	if o.Burst != 0 {
		obj.Insert(keyTerms["burst"], ast.IntNumberTerm(o.Burst))
	}
	if o.Count != 0 {
		obj.Insert(keyTerms["count"], ast.IntNumberTerm(o.Count))
	}
	if o.Disabled {
		obj.Insert(keyTerms["disabled"], ast.BooleanTerm(true))
	}
	return obj
}

func (a *AuthInput) value() ast.Value {
	var password ast.Value = ast.Null{}
	if a.PasswordOK != nil {
		password = ast.Boolean(*a.PasswordOK)
	}
	s := &a.Signature
	return ast.NewObject(
		item("mode", ast.String(a.Mode)),
		item("secret_ok", ast.Boolean(a.SecretOK)),
		item("password_ok", password),
		item("signature", ast.NewObject(
			item("present", ast.Boolean(s.Present)),
			item("valid", ast.Boolean(s.Valid)),
			item("age_s", ast.Number(itoa(s.AgeS))),
			item("replayed", ast.Boolean(s.Replayed)),
			item("covered", stringArray(s.Covered)),
		)),
		item("cert_bound", ast.Boolean(a.CertBound)),
	)
}

func (s *SchemaResult) value() ast.Value {
	errs := make([]*ast.Term, len(s.Errors))
	for i, e := range s.Errors {
		errs[i] = ast.NewTerm(ast.NewObject(
			item("kind", ast.String(e.Kind)),
			item("param", ast.String(e.Param)),
			item("message", ast.String(e.Message)),
		))
	}
	return ast.NewObject(
		item("valid", ast.Boolean(s.Valid)),
		item("errors", ast.NewArray(errs...)),
	)
}

// keyTerms caches the terms of the input's fixed keys: they are never
// mutated by evaluation, so every input can share them.
var keyTerms = func() map[string]*ast.Term {
	keys := []string{
		"request", "key", "auth", "schema", "now_ns",
		"method", "route", "params", "remote_ip", "tls", "version", "client_cert_sha256", "origin", "images", "proxied",
		"id", "found", "status", "expires_at", "scopes", "namespaces", "auth_modes", "allowed_origins", "tier", "limits", "domain_write",
		"kind", "rate", "per_s", "burst", "count", "disabled",
		"mode", "secret_ok", "password_ok", "signature", "present", "valid", "age_s", "replayed", "covered", "cert_bound",
		"errors", "param", "message",
	}
	m := make(map[string]*ast.Term, len(keys))
	for _, k := range keys {
		m[k] = ast.StringTerm(k)
	}
	return m
}()

func item(key string, v ast.Value) [2]*ast.Term {
	k, ok := keyTerms[key]
	if !ok {
		k = ast.StringTerm(key)
	}
	return ast.Item(k, ast.NewTerm(v))
}

func stringArray(ss []string) ast.Value {
	terms := make([]*ast.Term, len(ss))
	for i, s := range ss {
		terms[i] = ast.StringTerm(s)
	}
	return ast.NewArray(terms...)
}

func itoa(n int64) string {
	return strconv.FormatInt(n, 10)
}
