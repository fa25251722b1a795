package plugin

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"strconv"
	"sync"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/caddyconfig/caddyfile"
	"github.com/caddyserver/caddy/v2/modules/caddyhttp"

	"github.com/facegate/facegate/plugin/apidoc"
	"github.com/facegate/facegate/policies"
)

func init() {
	caddy.RegisterModule(OpenAPI{})
	RegisterDirective[OpenAPI]("facegate_openapi", "respond")
}

// OpenAPI answers facegate's OpenAPI 3.1 document, generated from the
// embedded JSON Schemas and policies (the content of docs/openapi.json). It
// needs no key: the document describes SkyBiometry's public API and holds
// nothing about the deployment (no keys, namespaces, limits or hosts), it is
// the same bytes for every request, and only GET and HEAD are answered.
// Mount it outside the guarded routes, e.g.
// `handle /openapi.json { facegate_openapi }`.
type OpenAPI struct{}

// CaddyModule returns the Caddy module information.
func (OpenAPI) CaddyModule() caddy.ModuleInfo {
	return caddy.ModuleInfo{
		ID:  "http.handlers.facegate_openapi",
		New: func() caddy.Module { return new(OpenAPI) },
	}
}

// openAPIDoc is the generated document and its ETag, built once per process.
var openAPIDoc = sync.OnceValues(func() ([]byte, error) {
	spec, err := apidoc.Load(policies.EmbeddedFS())
	if err != nil {
		return nil, err
	}
	return spec.OpenAPI()
})

// Provision generates the document (once per process), so that a broken
// schema fails the config instead of a request.
func (*OpenAPI) Provision(caddy.Context) error {
	if _, err := openAPIDoc(); err != nil {
		return fmt.Errorf("facegate_openapi: generating the OpenAPI document: %w", err)
	}
	return nil
}

// ServeHTTP answers the document to GET and HEAD; other methods get 405.
func (*OpenAPI) ServeHTTP(w http.ResponseWriter, r *http.Request, _ caddyhttp.Handler) error {
	doc, err := openAPIDoc()
	if err != nil {
		return caddyhttp.Error(http.StatusInternalServerError, err)
	}
	h := w.Header()
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		h.Set("Allow", "GET, HEAD")
		return caddyhttp.Error(http.StatusMethodNotAllowed, fmt.Errorf("only GET and HEAD"))
	}
	sum := sha256.Sum256(doc)
	etag := `"` + hex.EncodeToString(sum[:8]) + `"`
	h.Set("Content-Type", "application/json; charset=utf-8")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Cache-Control", "public, max-age=3600")
	h.Set("ETag", etag)
	if r.Header.Get("If-None-Match") == etag {
		w.WriteHeader(http.StatusNotModified)
		return nil
	}
	h.Set("Content-Length", strconv.Itoa(len(doc)))
	w.WriteHeader(http.StatusOK)
	if r.Method == http.MethodGet {
		_, _ = w.Write(doc)
	}
	return nil
}

// UnmarshalCaddyfile sets up the handler; it takes no arguments or options:
//
//	handle /openapi.json {
//	    facegate_openapi
//	}
func (*OpenAPI) UnmarshalCaddyfile(d *caddyfile.Dispenser) error {
	d.Next() // directive name
	if d.NextArg() || d.NextBlock(0) {
		return d.Err("facegate_openapi takes no arguments or options")
	}
	return nil
}

// Interface guards.
var (
	_ caddy.Provisioner           = (*OpenAPI)(nil)
	_ caddyhttp.MiddlewareHandler = (*OpenAPI)(nil)
	_ caddyfile.Unmarshaler       = (*OpenAPI)(nil)
)
