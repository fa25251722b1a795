package facegate.schema_test

import data.facegate.fixtures
import data.facegate.schema

result(valid, errs) := fixtures.with_patch({"schema": {"valid": valid, "errors": errs}})

denials(inp) := r if {
	r := {[d.reason, d.error_code, d.status] | some d in schema.deny with input as inp}
}

test_valid_schema_allowed if {
	count(denials(fixtures.base)) == 0
}

test_missing_param_is_402 if {
	denials(result(false, [{"kind": "missing", "param": "uids", "message": "is required"}])) == {["params_missing", 402, 400]}
}

first(inp) := r if {
	r := sort([[d.order, d.reason] | some d in schema.deny with input as inp])[0][1]
}

test_missing_ranks_before_too_long_before_invalid if {
	first(result(false, [
		{"kind": "invalid", "param": "detector", "message": "must be one of normal, aggressive"},
		{"kind": "too_long", "param": "tids", "message": "has too many items (at most 1000)"},
		{"kind": "missing", "param": "uids", "message": "is required"},
	])) == "params_missing"
	first(result(false, [
		{"kind": "invalid", "param": "detector", "message": "must be one of normal, aggressive"},
		{"kind": "too_long", "param": "tids", "message": "has too many items (at most 1000)"},
	])) == "list_too_long"
}

test_too_long_list_is_407 if {
	denials(result(false, [{"kind": "too_long", "param": "uids", "message": "has too many items (at most 1000)"}])) == {["list_too_long", 407, 400]}
}

test_invalid_param_is_406 if {
	denials(result(false, [{"kind": "invalid", "param": "limit", "message": "must be 1-1000"}])) == {["params_invalid", 406, 400]}
}

test_invalid_message_names_param if {
	some d in schema.deny with input as result(false, [{"kind": "invalid", "param": "limit", "message": "must be 1-1000"}])
	d.detail == "limit must be 1-1000"
}

test_invalid_without_errors_is_406 if {
	denials(result(false, [])) == {["params_invalid", 406, 400]}
	denials(result(false, null)) == {["params_invalid", 406, 400]}
}

test_unknown_route_is_401 if {
	denials(result(false, [{"kind": "unknown_route", "param": "", "message": "no schema"}])) == {["route_unknown", 401, 404]}
}

test_images_required if {
	denials(fixtures.with_request({"images": 0})) == {["images_missing", 402, 400]}
	denials(fixtures.with_request({"route": "faces/detect", "images": 0})) == {["images_missing", 402, 400]}
	count(denials(fixtures.with_request({"route": "faces/train", "images": 0}))) == 0
	denials(json.remove(fixtures.base, ["/request/images"])) == {["images_missing", 402, 400]}
}

test_tags_get_needs_a_selector if {
	denials(fixtures.with_patch({"request": {"route": "tags/get", "images": 0, "params": {"uids": " "}}})) == {["images_missing", 402, 400]}
	count(denials(fixtures.with_patch({"request": {"route": "tags/get", "images": 0, "params": {"uids": "a@docs"}}}))) == 0
	count(denials(json.patch(fixtures.base, [
		{"op": "replace", "path": "/request/route", "value": "tags/get"},
		{"op": "replace", "path": "/request/images", "value": 0},
		{"op": "replace", "path": "/request/params", "value": {"pids": "F@1"}},
	]))) == 0
	count(denials(fixtures.with_request({"route": "tags/get", "images": 1}))) == 0
}

test_malformed_errors_still_deny if {
	denials(result(false, [{"kind": "missing"}])) == {["params_missing", 402, 400]}
	denials(result(false, [{}])) == {["params_invalid", 406, 400]}
}

test_allowed_inputs_pass if {
	count(denials(fixtures.base)) == 0
	count(denials(fixtures.with_request({"route": "faces/train", "images": 0}))) == 0
	count(denials(fixtures.proxied("/v1/items", "GET"))) == 0
	count(denials(fixtures.with_request({"route": "tags/get", "images": 0}))) == 0
	count(denials(json.patch(fixtures.with_request({"route": "tags/get", "images": 0}), [{"op": "replace", "path": "/request/params", "value": {"pids": "p1"}}]))) == 0
}

test_schema_denies_listed_inputs if {
	every inp in [
		result(false, []),
		result(false, [{"kind": "missing", "param": "uids", "message": "is required"}]),
		fixtures.with_request({"images": 0}),
		json.patch(fixtures.with_request({"route": "tags/get", "images": 0}), [{"op": "replace", "path": "/request/params", "value": {}}]),
		json.patch(fixtures.with_request({"route": "tags/get", "images": 0}), [{"op": "replace", "path": "/request/params", "value": {"uids": " ", "pids": ""}}]),
	] {
		count(denials(inp)) > 0
	}
}
