package apidoc

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/facegate/facegate/engine/skyerr"
)

// OpenAPI renders the OpenAPI 3.1 document: one path per method
// (/fc/<group>/<method>.json, GET with query parameters and POST with a
// form or multipart body), the parameter and answer schemas as components
// (JSON Schema 2020-12, which OpenAPI 3.1 uses as is), and the three ways to
// authenticate. The output is deterministic (sorted keys, indented).
func (s *Spec) OpenAPI() ([]byte, error) {
	schemas := map[string]any{}
	for name, def := range s.Common {
		schemas["common_"+name] = rewriteRefs(def, "common_")
	}
	for name, def := range s.Answers {
		schemas["answer_"+name] = rewriteRefs(def, "answer_")
	}
	paths := map[string]any{}
	for _, m := range s.Methods {
		pname := "params_" + strings.ReplaceAll(m.Route, "/", "_")
		ps := rewriteRefs(m.Schema, "common_").(map[string]any)
		delete(ps, "$schema")
		delete(ps, "$id")
		schemas[pname] = ps
		paths["/fc/"+m.Route+".json"] = s.pathItem(m, pname)
	}
	doc := map[string]any{
		"openapi": "3.1.0",
		"info": map[string]any{
			"title":   "facegate",
			"version": "1.0",
			"summary": "SkyBiometry-compatible face detection and recognition API",
			"description": "Generated from facegate's JSON Schemas (policies/schemas) and policies. " +
				"Every call must pass facegate_guard: api_key with api_secret, an RFC 9421 signature, " +
				"or a domain key from an allowed Origin. Errors use SkyBiometry's envelope.",
			"license": map[string]any{"name": "Apache-2.0", "identifier": "Apache-2.0"},
		},
		"jsonSchemaDialect": "https://json-schema.org/draft/2020-12/schema",
		"paths":             paths,
		"components": map[string]any{
			"schemas": schemas,
			"securitySchemes": map[string]any{
				"api_key": map[string]any{"type": "apiKey", "in": "query", "name": "api_key",
					"description": "public key id (also X-Api-Key header or form field)"},
				"api_secret": map[string]any{"type": "apiKey", "in": "query", "name": "api_secret",
					"description": "key secret, secret mode (also X-Api-Secret header or form field); HTTPS only"},
				"signature": map[string]any{"type": "apiKey", "in": "header", "name": "Signature",
					"description": "RFC 9421 HTTP message signature (hmac-sha256 over @method @authority @path @query content-type content-digest, with Signature-Input created, expires, nonce and keyid)"},
			},
		},
		"security": []any{
			map[string]any{"api_key": []any{}, "api_secret": []any{}},
			map[string]any{"signature": []any{}},
			map[string]any{"api_key": []any{}},
		},
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(doc); err != nil {
		return nil, fmt.Errorf("encoding the OpenAPI document: %w", err)
	}
	return b.Bytes(), nil
}

func (s *Spec) pathItem(m Method, paramsSchema string) map[string]any {
	ref := map[string]any{"$ref": "#/components/schemas/" + paramsSchema}
	var params []any
	names := append(slices.Clone(StandardParams), paramNames(m)...)
	for _, n := range names {
		var sch map[string]any
		required := slices.Contains(m.Required, n)
		if slices.Contains(StandardParams, n) {
			sch = map[string]any{"$ref": "#/components/schemas/common_" + n}
		} else {
			for _, p := range m.Params {
				if p.Name == n {
					sch = rewriteRefs(p.Schema, "common_").(map[string]any)
				}
			}
		}
		params = append(params, map[string]any{"name": n, "in": "query", "required": required, "schema": sch})
	}
	multipart := any(ref)
	if m.Images {
		multipart = map[string]any{"allOf": []any{ref, map[string]any{
			"type": "object",
			"properties": map[string]any{"files": map[string]any{
				"type": "array", "items": map[string]any{"type": "string", "contentMediaType": "application/octet-stream"},
				"description": "uploaded images (JPEG, PNG, GIF, WebP, BMP, TIFF); any field name",
			}},
		}}}
	}
	responses := map[string]any{
		"200": map[string]any{
			"description": "success (status success or partial)",
			"content":     map[string]any{"application/json": map[string]any{"schema": rewriteRefs(m.Answer, "answer_")}},
		},
	}
	for status, codes := range s.errorStatuses(m) {
		var parts []string
		for _, c := range codes {
			parts = append(parts, fmt.Sprintf("%d %s", c, skyerr.Name(c)))
		}
		responses[strconv.Itoa(status)] = map[string]any{
			"description": "failure: " + strings.Join(parts, ", "),
			"content":     map[string]any{"application/json": map[string]any{"schema": map[string]any{"$ref": "#/components/schemas/answer_error"}}},
		}
	}
	op := func(method string) map[string]any {
		o := map[string]any{
			"operationId": strings.ReplaceAll(m.Route, "/", "_") + "_" + method,
			"summary":     m.Summary,
			"description": m.Description,
			"tags":        []any{strings.SplitN(m.Route, "/", 2)[0]},
			"responses":   responses,
		}
		if method == "get" {
			o["parameters"] = params
		} else {
			o["requestBody"] = map[string]any{"content": map[string]any{
				"application/x-www-form-urlencoded": map[string]any{"schema": ref},
				"multipart/form-data":               map[string]any{"schema": multipart},
			}}
		}
		return o
	}
	return map[string]any{"get": op("get"), "post": op("post")}
}

// errorStatuses groups the codes a method can fail with (its own and the
// gateway's) by HTTP status.
func (s *Spec) errorStatuses(m Method) map[int][]int {
	codes := map[int]bool{skyerr.Internal: true, skyerr.Unavailable: true, skyerr.Quota: true, skyerr.Concurrency: true, skyerr.InvalidArgs: true}
	for _, c := range m.Errors {
		codes[c] = true
	}
	for _, d := range s.Denials {
		codes[d.Code] = true
	}
	out := map[int][]int{}
	for c := range codes {
		st := skyerr.Status(c)
		if st == 0 {
			st = 400
		}
		out[st] = append(out[st], c)
	}
	for st := range out {
		sort.Ints(out[st])
	}
	out[413] = appendUnique(out[413], skyerr.InvalidArgs) // input limits: 406 with HTTP 413
	out[429] = appendUnique(out[429], skyerr.NotAuthenticated)
	return out
}

func appendUnique(list []int, c int) []int {
	if slices.Contains(list, c) {
		return list
	}
	list = append(list, c)
	sort.Ints(list)
	return list
}

func paramNames(m Method) []string {
	out := make([]string, len(m.Params))
	for i, p := range m.Params {
		out[i] = p.Name
	}
	return out
}

// rewriteRefs copies a schema with its references pointed at the
// components: common.json#/$defs/x becomes common_x, a document's own
// #/$defs/x becomes <local>x; facegate's keywords (maxListItems,
// listItemEnum) get an x- prefix.
func rewriteRefs(v any, local string) any {
	switch t := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(t))
		for k, x := range t {
			if r, ok := x.(string); ok && k == "$ref" {
				out[k] = rewriteRef(r, local)
				continue
			}
			if k == "maxListItems" || k == "listItemEnum" {
				k = "x-" + k // facegate's own keywords
			}
			out[k] = rewriteRefs(x, local)
		}
		return out
	case []any:
		out := make([]any, len(t))
		for i, x := range t {
			out[i] = rewriteRefs(x, local)
		}
		return out
	}
	return v
}

func rewriteRef(r, local string) string {
	switch {
	case strings.HasPrefix(r, "common.json#/$defs/"):
		return "#/components/schemas/common_" + strings.TrimPrefix(r, "common.json#/$defs/")
	case strings.HasPrefix(r, "#/$defs/"):
		return "#/components/schemas/" + local + strings.TrimPrefix(r, "#/$defs/")
	}
	return r
}
