package facegate.namespaces_test

import data.facegate.fixtures
import data.facegate.namespaces

reasons(params) := r if {
	r := {d.reason | some d in namespaces.deny with input as fixtures.with_params(params)}
}

test_owned_namespaces_allowed if {
	count(reasons(fixtures.base.request.params)) == 0
	count(reasons({"uids": "mark@docs, anna@team"})) == 0
	count(reasons({"uids": "mark,anna", "namespace": "docs"})) == 0
	count(reasons({"uids": "all", "namespace": "docs"})) == 0
	count(reasons({"uid": "mark@docs", "tids": "TEMP_F@abc"})) == 0
	count(reasons({"namespaces": "docs,team"})) == 0
	count(reasons({})) == 0
}

test_foreign_namespace_param if {
	reasons({"namespace": "other"}) == {"namespace_not_owned"}
}

test_foreign_uid_namespace if {
	reasons({"uids": "mark@docs,eve@other"}) == {"namespace_not_owned"}
	reasons({"uid": "eve@other"}) == {"namespace_not_owned"}
	reasons({"uid": "eve@"}) == {"namespace_not_owned"}
}

test_foreign_namespaces_list if {
	reasons({"namespaces": "docs,other"}) == {"namespace_not_owned"}
}

test_foreign_namespace_is_404_403 if {
	some d in namespaces.deny with input as fixtures.with_params({"namespace": "other"})
	d.error_code == 404
	d.status == 403
	d.detail == "namespace not owned by this api key"
}

test_uid_without_namespace if {
	reasons({"uids": "mark"}) == {"namespace_missing"}
	reasons({"uid": "mark"}) == {"namespace_missing"}
	reasons({"uids": "mark", "namespace": " "}) == {"namespace_missing"}
}

test_uids_all_needs_namespace if {
	reasons({"uids": "all"}) == {"namespace_missing"}
}

test_missing_namespace_is_403_400 if {
	some d in namespaces.deny with input as fixtures.with_params({"uids": "all"})
	d.error_code == 403
	d.status == 400
}

test_wildcard_key_owns_everything if {
	inp := json.patch(fixtures.with_params({"namespace": "any", "uids": "x@other"}), [{"op": "replace", "path": "/key/namespaces", "value": ["*"]}])
	count(namespaces.deny) == 0 with input as inp
}

test_null_params if {
	count(namespaces.deny) == 0 with input as fixtures.with_params(null)
}

test_non_string_params_ignored if {
	count(reasons({"uids": 3, "namespace": ["docs"]})) == 0
}

test_proxied_requests_skip_namespaces if {
	inp := json.patch(fixtures.proxied("/v1", "GET"), [{"op": "replace", "path": "/request/params", "value": {"namespace": "other"}}])
	count(namespaces.deny) == 0 with input as inp
}

test_split_list if {
	count(reasons({"namespaces": " docs, ,team,, "})) == 0
	reasons({"namespaces": " docs, ,team,,other "}) == {"namespace_not_owned"}
	count(reasons({"namespaces": ""})) == 0
	count(reasons({"uids": " mark@docs, ,anna@team,, "})) == 0
	reasons({"uids": " mark@docs, ,anna@team,,eve@other "}) == {"namespace_not_owned"}
}

test_key_without_namespaces_owns_nothing if {
	inp := json.remove(fixtures.base, ["/key/namespaces"])
	{d.reason | some d in namespaces.deny with input as inp} == {"namespace_not_owned"}
}

test_allowed_inputs_pass if {
	count(reasons(fixtures.base.request.params)) == 0
	count(reasons({})) == 0
	count(reasons({"uids": "mark, anna@team", "namespace": " docs "})) == 0
	count(reasons({"namespaces": "docs, team", "namespace": "docs"})) == 0
	count(reasons({"uids": "mark@docs, anna@team,"})) == 0
	count(reasons({"uid": "all@docs", "namespaces": "team"})) == 0
	count(namespaces.deny) == 0 with input as json.patch(fixtures.with_params({"namespace": "any", "uids": "x@other"}), [{"op": "replace", "path": "/key/namespaces", "value": ["*"]}])
	count(namespaces.deny) == 0 with input as json.patch(fixtures.proxied("/v1", "GET"), [{"op": "replace", "path": "/request/params", "value": {"namespace": "other"}}])
}

test_namespaces_deny_listed_inputs if {
	every params in [
		{"namespace": "other"},
		{"uids": "mark@docs,eve@other", "namespace": "docs"},
		{"uids": "mark@ docs", "namespace": "docs"},
		{"uid": "eve@", "namespace": "docs"},
		{"namespaces": "docs,other", "namespace": "docs"},
		{"uids": "mark"},
		{"uids": "all", "namespace": " "},
		{"uids": "mark@docs,eve@other"},
		{"uids": "mark@docs,anna"},
		{"uids": "all"},
		{"uid": "mark@docs", "namespaces": "docs,other"},
		{"uid": "eve@"},
	] {
		count(reasons(params)) > 0
	}
}
