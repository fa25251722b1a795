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

# METADATA
# description: Non-empty, trimmed items of a comma-separated list.
split_list(s) := [item |
	some raw in split(s, ",")
	item := trim_space(raw)
	item != ""
]

default_namespace := trim_space(input.request.params.namespace) if {
	is_string(input.request.params.namespace)
} else := ""

uid_items contains item if {
	some name in ["uids", "uid"]
	some item in split_list(input.request.params[name])
}

touched contains default_namespace if default_namespace != ""

touched contains ns if {
	some ns in split_list(input.request.params.namespaces)
}

touched contains ns if {
	some item in uid_items
	i := indexof(item, "@")
	i >= 0
	ns := substring(item, i + 1, -1)
}

key_namespaces := n if {
	n := input.key.namespaces
	is_array(n)
} else := []

all_namespaces if "*" in key_namespaces

applies if not input.request.proxied == true

# METADATA
# description: uids without a namespace, and namespaces the key does not own.
deny contains errors.deny(80, 400, 403, "uids=all needs a namespace", "namespace_missing") if {
	"all" in uid_items
	default_namespace == ""
	applies
}

deny contains errors.deny(80, 400, 403, "uid without @namespace and no namespace parameter", "namespace_missing") if {
	default_namespace == ""
	some item in uid_items
	item != "all"
	not contains(item, "@")
	applies
}

deny contains errors.deny(81, 403, 404, "namespace not owned by this api key", "namespace_not_owned") if {
	some ns in touched
	not ns in key_namespaces
	not all_namespaces
	applies
}
