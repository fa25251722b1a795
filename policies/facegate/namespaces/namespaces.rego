# METADATA
# title: Namespace ownership
# description: |
#   Every namespace a request touches must belong to the key
#   (key.namespaces; "*" means all). Namespaces come from the params
#   namespace, namespaces (comma list), uids (comma list of name@ns) and uid.
#   A uid without @ns takes the namespace param; without one it is 403
#   MISSING_USER_NAMESPACE, and so is uids=all without a namespace.
#   tids and pids do not name their namespace: the API layer checks them
#   against the store and answers 405 UNAUTHORIZED_UID.
package facegate.namespaces

import data.facegate.errors

# Helper rules are few and lists are split inline: in OPA every rule or
# function a denial consults costs more than the builtins it runs.

default_namespace := trim_space(input.request.params.namespace) if {
	is_string(input.request.params.namespace)
} else := ""

# METADATA
# description: Non-empty, trimmed items of the uids and uid params.
uid_items contains item if {
	some name in ["uids", "uid"]
	some raw in split(input.request.params[name], ",")
	item := trim_space(raw)
	item != ""
}

key_namespaces := n if {
	n := input.key.namespaces
	is_array(n)
} else := []

# METADATA
# description: uids without a namespace, and namespaces the key does not own.
deny contains errors.deny(80, 400, 403, "uids=all needs a namespace", "namespace_missing") if {
	default_namespace == ""
	"all" in uid_items
	not input.request.proxied == true
}

deny contains errors.deny(80, 400, 403, "uid without @namespace and no namespace parameter", "namespace_missing") if {
	default_namespace == ""
	some item in uid_items
	item != "all"
	not contains(item, "@")
	not input.request.proxied == true
}

# One rule per place a namespace is named (the namespace param, the
# namespaces list, the @ns of uids and uid): the same denial, so the set
# holds it once.
deny contains errors.deny(81, 403, 404, "namespace not owned by this api key", "namespace_not_owned") if {
	default_namespace != ""
	not default_namespace in key_namespaces
	not "*" in key_namespaces
	not input.request.proxied == true
}

deny contains errors.deny(81, 403, 404, "namespace not owned by this api key", "namespace_not_owned") if {
	some raw in split(input.request.params.namespaces, ",")
	ns := trim_space(raw)
	ns != ""
	not ns in key_namespaces
	not "*" in key_namespaces
	not input.request.proxied == true
}

deny contains errors.deny(81, 403, 404, "namespace not owned by this api key", "namespace_not_owned") if {
	some item in uid_items
	i := indexof(item, "@")
	i >= 0
	not substring(item, i + 1, -1) in key_namespaces
	not "*" in key_namespaces
	not input.request.proxied == true
}
