package facegate_test

import data.facegate
import data.facegate.fixtures

decide(inp) := r if {
	r := facegate.decision with input as inp
}

test_allow_realistic_request if {
	d := decide(fixtures.base)
	d.allow == true
	d.status == 200
	d.error_code == 0
	d.reason == "ok"
	count(d.limits) == 3
}

test_default_deny if {
	not facegate.allow with input as {}
	decide({}).allow == false
}

test_empty_input_is_unknown_route if {
	decide({}).reason == "route_unknown"
}

test_precedence if {
	every c in [
		# unknown route beats a missing key
		[{"request": {"route": "x/y"}, "key": {"found": false}}, "route_unknown"],
		# a missing key beats bad credentials
		[{"key": {"found": false}, "auth": {"mode": ""}}, "key_not_found"],
		# bad credentials beat key status (no status leak without the secret)
		[{"key": {"status": "revoked"}, "auth": {"signature": {"valid": false}}}, "signature_invalid"],
		# key status beats scopes
		[{"key": {"status": "revoked", "scopes": []}}, "key_revoked"],
		# scopes beat schema
		[{"key": {"scopes": []}, "schema": {"valid": false, "errors": [{"kind": "missing", "param": "uids", "message": "x"}]}}, "scope_missing"],
		# schema beats namespaces
		[{"request": {"params": {"namespace": "other"}}, "schema": {"valid": false, "errors": [{"kind": "invalid", "param": "namespace", "message": "x"}]}}, "params_invalid"],
		# namespaces beat limit configuration
		[{"request": {"params": {"namespace": "other"}}, "key": {"limits": {"quota": {"count": 0}}}}, "namespace_not_owned"],
	] {
		decide(object.union(fixtures.base, c[0])).reason == c[1]
	}
}

test_denied_decision_shape if {
	d := decide(fixtures.with_key({"found": false}))
	d == {
		"allow": false,
		"status": 401,
		"error_code": 201,
		"detail": "invalid api key",
		"reason": "key_not_found",
		"limits": [],
	}
}

test_ties_break_by_reason if {
	# key_revoked and key_expired: different orders, revoked (40) wins over expired (41)
	decide(fixtures.with_key({"status": "revoked", "expires_at": 1})).reason == "key_revoked"

	# same order 35: signature_replayed < signature_stale alphabetically
	decide(fixtures.with_auth({"signature": {"replayed": true, "age_s": 999}})).reason == "signature_replayed"
}

test_limit_config_fails_closed if {
	d := decide(fixtures.with_key({"limits": {"quota": {"count": 0}}}))
	d.allow == false
	d.status == 500
	d.error_code == 104
}

test_proxied_request if {
	inp := json.patch(fixtures.proxied("/v1/items", "GET"), [{"op": "replace", "path": "/key/scopes", "value": ["proxy/*"]}])
	d := decide(inp)
	d.allow == true
	count(d.limits) == 3
}

test_missing_fields_fail_closed if {
	every path in [
		"/request/route",
		"/request/method",
		"/key/found",
		"/key/status",
		"/key/auth_modes",
		"/key/scopes",
		"/auth/mode",
		"/auth/signature/present",
		"/auth/signature/valid",
		"/auth/signature/age_s",
		"/auth/signature/covered",
		"/auth/signature",
		"/schema/valid",
	] {
		decide(json.remove(fixtures.base, [path])).allow == false
	}
}

test_equivalent_inputs_decide_alike if {
	# signature components in another order, a no-op override and a blank
	# namespace param change nothing.
	inp := object.union(fixtures.base, {
		"auth": {"signature": {"covered": ["content-digest", "content-type", "@query", "@path", "@authority", "@method", "date"]}},
		"key": {"limits": {"quota": {"count": 100}}},
		"request": {"params": {"namespace": " "}},
	})
	facegate.no_denials with input as inp
	decide(inp) == decide(fixtures.base)
}

# A denial depends only on the rules ranked up to it (the Go decider
# memoizes denials by rank on that): a missing key is answered alike
# whatever the request says that only later-ranked rules read.
test_denial_ignores_later_ranks if {
	want := decide(fixtures.with_key({"found": false}))
	every change in [
		{"request": {"origin": "https://elsewhere.example"}},
		{"request": {"params": {"namespace": "other", "uids": "eve@other"}}},
		{"auth": {"mode": "", "signature": {"valid": false}}},
		{"key": {"status": "revoked", "scopes": [], "namespaces": []}},
	] {
		decide(object.union(fixtures.with_key({"found": false}), change)) == want
	}
}

# One reason may come with two orders: route_unknown is order 10 from the
# route table and 12 from the schema result.
test_route_unknown_from_either_order if {
	decide(object.union(fixtures.base, {"request": {"route": "x/y"}})).reason == "route_unknown"
	schema_unknown := {"schema": {"valid": false, "errors": [{"kind": "unknown_route", "param": "", "message": "x"}]}}
	decide(object.union(fixtures.base, schema_unknown)).reason == "route_unknown"
}
