package plugin

import (
	"crypto/tls"
	"net/http"
	"time"

	"github.com/facegate/facegate/policies"
)

// policyInput builds the OPA input document of DESIGN.md ("The OPA contract").
func (g *Guard) policyInput(r *http.Request, st *state, call *fcRequest, ev *evidence) *policies.Input {
	in := &policies.Input{NowNS: time.Now().UnixNano()}
	in.Request = policies.RequestInput{
		Method:   r.Method,
		Route:    call.Route,
		Params:   redactParams(call.Params),
		RemoteIP: clientAddr(r),
		Origin:   ev.origin,
		Images:   call.images(),
		Proxied:  g.Mode == "proxy",
	}
	if r.TLS != nil {
		in.Request.TLS = policies.TLSInput{Version: tlsVersion(r.TLS.Version), ClientCertSHA256: ev.certSHA}
	}
	in.Key = policies.KeyInput{ID: ev.keyID, Found: ev.found}
	if ev.found {
		k := ev.key
		in.Key.Status = k.Status
		in.Key.ExpiresAt = k.ExpiresAt
		in.Key.Scopes = k.Scopes
		in.Key.Namespaces = k.Namespaces
		in.Key.AuthModes = k.AuthModes
		in.Key.AllowedOrigins = k.AllowedOrigins
		in.Key.ClientCertSHA256 = k.ClientCertSHA256
		in.Key.Tier = k.Tier
		in.Key.Limits = k.Limits
	}
	in.Auth = policies.AuthInput{
		Mode:      ev.mode,
		SecretOK:  ev.secretOK,
		CertBound: ev.found && ev.key.ClientCertSHA256 != "" && ev.key.ClientCertSHA256 == ev.certSHA,
	}
	if ev.sig != nil || ev.sigErr != "" {
		in.Auth.Signature = policies.SignatureInput{
			Present:  true,
			Valid:    ev.sigResult.Valid && ev.sigErr == "" && ev.sigSecret != nil,
			AgeS:     ev.sigResult.AgeS,
			Replayed: ev.replayed,
			Covered:  ev.sigResult.Covered,
		}
	}
	if g.Mode == "proxy" {
		in.Schema = policies.SchemaResult{Valid: true}
	} else {
		in.Schema = st.validator.Validate(call.Route, call.Params)
	}
	return in
}

// redactParams drops credentials before parameters reach the policy input
// (and so any decision log an operator might add).
func redactParams(p map[string]string) map[string]string {
	out := make(map[string]string, len(p))
	for k, v := range p {
		switch k {
		case "api_secret", "password":
			continue
		}
		out[k] = v
	}
	return out
}

func tlsVersion(v uint16) string {
	switch v {
	case tls.VersionTLS13:
		return "1.3"
	case tls.VersionTLS12:
		return "1.2"
	case tls.VersionTLS11:
		return "1.1"
	case tls.VersionTLS10:
		return "1.0"
	}
	return ""
}
