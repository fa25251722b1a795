# METADATA
# title: facegate decision
# description: |
#   The entry point the guard evaluates once per request:
#   data.facegate.decision. It collects the denials of every policy package
#   and answers with the highest-ranked one (lowest order), or allows the
#   request with the limits to charge. See policies/README.md for the input.
package facegate

import data.facegate.auth
import data.facegate.keys
import data.facegate.limits
import data.facegate.namespaces
import data.facegate.routes
import data.facegate.schema
import data.facegate.scopes

# METADATA
# description: Every reason to refuse the request.
denials := (((((routes.deny | keys.deny) | auth.deny) | scopes.deny) | namespaces.deny) | schema.deny) | limits.deny

default allow := false

# METADATA
# description: No package denies (checked one by one, so that allowed requests build no union).
allow if no_denials

no_denials if {
	count(routes.deny) == 0
	count(keys.deny) == 0
	count(auth.deny) == 0
	count(scopes.deny) == 0
	count(schema.deny) == 0
	count(namespaces.deny) == 0
	count(limits.deny) == 0
}

# METADATA
# description: The denial that answers the request (lowest order, then reason).
first := sort([[d.order, d.reason, d] | some d in denials])[0][2]

# METADATA
# entrypoint: true
# description: |
#   {"allow", "status", "error_code", "detail", "reason", "limits"}: the
#   gateway names the error from error_code (engine/skyerr) and adds detail.
#   Always defined for a well-formed input; the Go decider fails closed otherwise.
decision := {
	"allow": true,
	"status": 200,
	"error_code": 0,
	"detail": "",
	"reason": "ok",
	"limits": limits.list,
} if {
	allow
} else := {
	"allow": false,
	"status": first.status,
	"error_code": first.error_code,
	"detail": first.detail,
	"reason": first.reason,
	"limits": [],
}
