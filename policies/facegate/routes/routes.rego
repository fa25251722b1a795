# METADATA
# title: Routes
# description: |
#   The SkyBiometry methods facegate serves (/fc/<group>/<method>) and what
#   each one does. For proxied upstreams (input.request.proxied) the route is
#   the URL path and no table entry is needed.
package facegate.routes

import data.facegate.errors

# METADATA
# description: |
#   Every API route. write: changes stored data (not allowed to domain keys
#   by default). images: needs urls or uploaded files. quota: charged to the
#   per-image quota.
table := {
	"faces/detect": {"write": false, "images": true, "quota": true},
	"faces/recognize": {"write": false, "images": true, "quota": true},
	"faces/group": {"write": false, "images": true, "quota": true},
	"faces/train": {"write": true, "images": false, "quota": true},
	"faces/status": {"write": false, "images": false, "quota": true},
	"tags/add": {"write": true, "images": false, "quota": true},
	"tags/save": {"write": true, "images": false, "quota": true},
	"tags/get": {"write": false, "images": false, "quota": true},
	"tags/remove": {"write": true, "images": false, "quota": true},
	"account/authenticate": {"write": false, "images": false, "quota": false},
	"account/limits": {"write": false, "images": false, "quota": false},
	"account/users": {"write": false, "images": false, "quota": false},
	"account/namespaces": {"write": false, "images": false, "quota": false},
	"extensions/erase": {"write": true, "images": false, "quota": false},
}

# METADATA
# description: HTTP methods SkyBiometry accepts on every API route.
api_http_methods := {"GET", "POST"}

# METADATA
# description: HTTP methods that count as read-only on proxied upstreams.
safe_http_methods := {"GET", "HEAD", "OPTIONS"}

proxied if input.request.proxied == true

# METADATA
# description: The table entry of the current API route (undefined when unknown or proxied).
current := table[input.request.route] if not input.request.proxied == true

# METADATA
# description: The request only reads (API route without write, or a safe HTTP method upstream).
read_only if current.write == false

read_only if {
	proxied
	input.request.method in safe_http_methods
}

# METADATA
# description: |
#   Unknown API routes and HTTP methods other than GET/POST.
#   OPA evaluates the arguments of a negated call or membership test
#   outside the negation, so a missing input field would make
#   "not input.x in y" undefined instead of true: negations apply to
#   rules, or read the input with object.get and a default (cheaper than
#   a rule, which costs an evaluation of its own).
deny contains errors.deny(10, 404, 401, "unknown method", "route_unknown") if {
	not input.request.proxied == true
	not current
}

deny contains errors.deny(11, 405, 401, "only GET and POST are supported", "http_method_not_allowed") if {
	current
	not object.get(input, ["request", "method"], null) in api_http_methods
}
