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

params := p if {
	p := input.request.params
	is_object(p)
} else := {}

# METADATA
# description: Non-empty, trimmed items of a comma-separated list.
split_list(s) := [item |
	some raw in split(s, ",")
	item := trim_space(raw)
	item != ""
]

list_param(name) := split_list(v) if {
	v := params[name]
	is_string(v)
} else := []

default_namespace := trim_space(params.namespace) if {
	is_string(params.namespace)
} else := ""

uid_items contains item if {
	some name in ["uids", "uid"]
	some item in list_param(name)
}

namespace_of(uid) := substring(uid, indexof(uid, "@") + 1, -1)

touched contains default_namespace if default_namespace != ""

touched contains ns if {
	some ns in list_param("namespaces")
}

touched contains ns if {
	some item in uid_items
	contains(item, "@")
	ns := namespace_of(item)
}

owned(_) if "*" in input.key.namespaces

owned(ns) if ns in input.key.namespaces

applies if not input.request.proxied == true

# METADATA
# description: uids without a namespace, and namespaces the key does not own.
deny contains errors.deny(80, 400, 403, "uids=all needs a namespace", "namespace_missing") if {
	applies
	"all" in uid_items
	default_namespace == ""
}

deny contains errors.deny(80, 400, 403, "uid without @namespace and no namespace parameter", "namespace_missing") if {
	applies
	some item in uid_items
	item != "all"
	not contains(item, "@")
	default_namespace == ""
}

deny contains errors.deny(81, 403, 404, "namespace not owned by this api key", "namespace_not_owned") if {
	applies
	some ns in touched
	not owned(ns)
}
