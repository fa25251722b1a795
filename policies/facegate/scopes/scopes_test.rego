package facegate.scopes_test

import data.facegate.fixtures
import data.facegate.scopes

reasons(inp) := r if {
	r := {d.reason | some d in scopes.deny with input as inp}
}

test_scope_matching if {
	every c in [
		["*", "faces/detect", true],
		["faces/detect", "faces/detect", true],
		["faces/*", "faces/train", true],
		["faces/*", "tags/get", false],
		["faces/detect", "faces/detection", false],
		["tags/*", "tags/save", true],
		["proxy/*", "/v1/items", true],
		["proxy/*", "faces/detect", false],
		["/v1/*", "/v1/items/3", true],
		["/v1/*", "/v2/items", false],
		["/v1/items", "/v1/items", true],
		["/v1/items", "/v1/items/3", false],
		["*", "/anything", true],
	] {
		scopes_match(c[0], c[1]) == c[2]
	}
}

scopes_match(s, r) if {
	scopes.permitted with input as {"request": {"route": r}, "key": {"scopes": [s]}}
} else := false

test_scope_allows_route if {
	count(reasons(fixtures.base)) == 0
}

test_missing_scope if {
	reasons(fixtures.with_key({"scopes": ["tags/*"]})) == {"scope_missing"}
}

test_no_scopes if {
	reasons(fixtures.with_key({"scopes": []})) == {"scope_missing"}
}

test_missing_scope_is_307_403 if {
	some d in scopes.deny with input as fixtures.with_key({"scopes": ["account/limits"]})
	d.error_code == 307
	d.status == 403
}

test_proxied_scopes if {
	count(reasons(fixtures.proxied("/v1/items", "GET"))) == 1
	count(reasons(json.patch(fixtures.proxied("/v1/items", "GET"), [{"op": "replace", "path": "/key/scopes", "value": ["proxy/*"]}]))) == 0
	count(reasons(json.patch(fixtures.proxied("/v1/items", "GET"), [{"op": "replace", "path": "/key/scopes", "value": ["/v1/*"]}]))) == 0
}

domain(route) := fixtures.with_patch({"request": {"route": route, "origin": "https://app.example.com"}, "auth": {"mode": "domain"}})

test_domain_read_allowed if {
	count(reasons(domain("faces/detect"))) == 0
}

test_domain_write_denied if {
	reasons(domain("faces/train")) == {"domain_write"}
	reasons(domain("tags/save")) == {"domain_write"}
}

test_domain_write_opt_in if {
	count(reasons(object.union(domain("tags/save"), {"key": {"domain_write": true}}))) == 0
}

test_allowed_inputs_pass if {
	count(reasons(fixtures.base)) == 0
	count(reasons(fixtures.with_key({"scopes": ["*"]}))) == 0
	count(reasons(fixtures.with_patch({"key": {"domain_write": true}, "auth": {"mode": "domain"}, "request": {"route": "faces/train"}}))) == 0
	count(reasons(fixtures.with_patch({"auth": {"mode": "domain"}, "request": {"route": "faces/detect"}}))) == 0
}

test_scopes_deny_listed_inputs if {
	every inp in [
		fixtures.with_key({"scopes": ["tags/*"]}),
		fixtures.with_patch({"auth": {"mode": "domain"}, "request": {"route": "faces/train"}}),
	] {
		count(reasons(inp)) > 0
	}
}
