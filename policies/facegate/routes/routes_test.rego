package facegate.routes_test

import data.facegate.fixtures
import data.facegate.routes

reasons(inp) := r if {
	r := {d.reason | some d in routes.deny with input as inp}
}

test_known_route_allowed if {
	count(routes.deny) == 0 with input as fixtures.base
}

test_unknown_route if {
	reasons(fixtures.with_request({"route": "faces/nope"})) == {"route_unknown"}
}

test_unknown_route_code if {
	some d in routes.deny with input as fixtures.with_request({"route": "facebook/get"})
	d.error_code == 401
	d.status == 404
	d.detail == "unknown method"
}

test_http_method_not_allowed if {
	reasons(fixtures.with_request({"method": "DELETE"})) == {"http_method_not_allowed"}
}

test_get_allowed if {
	count(reasons(fixtures.with_request({"method": "GET"}))) == 0
}

test_proxied_route_needs_no_table_entry if {
	count(reasons(fixtures.proxied("/v1/items", "DELETE"))) == 0
}

test_read_only_api_route if {
	routes.read_only with input as fixtures.base
}

test_write_api_route_not_read_only if {
	not routes.read_only with input as fixtures.with_request({"route": "tags/save"})
}

test_proxied_read_only_by_http_method if {
	routes.read_only with input as fixtures.proxied("/v1/items", "GET")
	not routes.read_only with input as fixtures.proxied("/v1/items", "POST")
}

test_every_route_has_flags if {
	every name, r in routes.table {
		regex.match(`^(faces|tags|account|extensions)/[a-z]+$`, name)
		is_boolean(r.write)
		is_boolean(r.images)
		is_boolean(r.quota)
	}
}

test_allowed_inputs_pass if {
	count(reasons(fixtures.base)) == 0
	count(reasons(fixtures.with_request({"method": "GET", "route": "account/limits"}))) == 0
	count(reasons(fixtures.proxied("/v1/items", "DELETE"))) == 0
}

test_routes_deny_listed_inputs if {
	every r in [{"route": "facebook/get"}, {"method": "DELETE"}] {
		count(reasons(fixtures.with_request(r))) > 0
	}
}
