# METADATA
# title: Parameter validation results
# description: |
#   Go validates params against policies/schemas (JSON Schema) and passes
#   the result as input.schema. Missing params are 402 MISSING_ARGUMENTS,
#   lists with too many items 407 ARGUMENT_LIST_TOO_LONG, anything else
#   invalid 406 INVALID_ARGUMENTS_VALUE, a route without a schema 401. Routes that take images need at least one (urls or
#   uploaded files, counted by Go in input.request.images).
package facegate.schema

import data.facegate.errors
import data.facegate.routes

# "invalid" unless input.schema.valid is true: the deny rules below compare
# it with == (cheaper than negating a rule in each).
validity := "valid" if {
	input.schema.valid == true
} else := "invalid"

schema_errors := e if {
	e := input.schema.errors
	is_array(e)
} else := []

message(e) := sprintf("%v %v", [object.get(e, "param", "a parameter"), object.get(e, "message", "is invalid")])

images := n if {
	n := input.request.images
	is_number(n)
} else := 0

has_param(name) if {
	v := input.request.params[name]
	is_string(v)
	trim_space(v) != ""
}

# METADATA
# description: Invalid params, unknown routes and requests without images.
deny contains errors.deny(12, 404, 401, "unknown method", "route_unknown") if {
	validity == "invalid"
	some e in schema_errors
	e.kind == "unknown_route"
}

deny contains errors.deny(70, 400, 402, sprintf("%v is required", [object.get(e, "param", "a parameter")]), "params_missing") if {
	validity == "invalid"
	some e in schema_errors
	e.kind == "missing"
}

deny contains errors.deny(71, 400, 407, message(e), "list_too_long") if {
	validity == "invalid"
	some e in schema_errors
	e.kind == "too_long"
}

deny contains errors.deny(72, 400, 406, message(e), "params_invalid") if {
	validity == "invalid"
	some e in schema_errors
	not object.get(e, "kind", "") in {"missing", "too_long", "unknown_route"}
}

deny contains errors.deny(72, 400, 406, "invalid arguments", "params_invalid") if {
	validity == "invalid"
	count(schema_errors) == 0
}

deny contains errors.deny(73, 400, 402, "urls or files required", "images_missing") if {
	routes.current.images
	images < 1
}

deny contains errors.deny(73, 400, 402, "uids, pids, urls or files required", "images_missing") if {
	input.request.route == "tags/get"
	not routes.proxied
	not has_param("uids")
	not has_param("pids")
	images < 1
}
