# METADATA
# title: Scopes
# description: |
#   A key may call a route only when one of its scopes matches it:
#   "*" (everything), an exact route ("faces/detect"), or a prefix wildcard
#   ending in "/*" ("tags/*"). For proxied upstreams the route is the URL path:
#   "proxy/*" allows every proxied path, "/v1/*" a path prefix, "/v1/items"
#   exactly that path. Domain-mode keys are read-only unless key.domain_write.
package facegate.scopes

import data.facegate.errors
import data.facegate.routes

# METADATA
# description: One of the key's scopes grants the route.
permitted if input.request.route in input.key.scopes

permitted if "*" in input.key.scopes

permitted if {
	some scope in input.key.scopes
	endswith(scope, "/*")
	startswith(input.request.route, trim_suffix(scope, "*"))
}

permitted if {
	"proxy/*" in input.key.scopes
	startswith(input.request.route, "/")
}

# METADATA
# description: Routes outside the key's scopes, and writes by domain keys.
deny contains errors.deny(60, 403, 307, "the api key is not allowed to call this method", "scope_missing") if {
	not permitted
}

deny contains errors.deny(61, 403, 307, "domain-authenticated keys are read-only", "domain_write") if {
	input.auth.mode == "domain"
	not routes.read_only
	not input.key.domain_write == true
}
