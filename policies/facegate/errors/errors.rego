# METADATA
# title: SkyBiometry error codes
# description: |
#   The SkyBiometry error codes the policies deny with (their names must be
#   those of Go's table, engine/skyerr: TestRegoErrorNames) and the
#   constructor every other package uses to build a denial.
package facegate.errors

# METADATA
# description: SkyBiometry error code → error_message name.
names := {
	104: "INTERNAL_ERROR",
	201: "API_KEY_DOES_NOT_EXIST",
	204: "API_KEY_NOT_AUTHENTICATED",
	205: "API_PASSWORD_NOT_CORRECT",
	304: "AUTHORIZATION_ERROR",
	307: "ACTION_NOT_PERMITTED",
	401: "UNKNWOWN_REST_METHOD",
	402: "MISSING_ARGUMENTS",
	403: "MISSING_USER_NAMESPACE",
	404: "UNAUTHORIZED_USER_NAMESPACE",
	405: "UNAUTHORIZED_UID",
	406: "INVALID_ARGUMENTS_VALUE",
	407: "ARGUMENT_LIST_TOO_LONG",
}

# METADATA
# description: |
#   A denial. order ranks denials (the lowest wins in data.facegate.decision),
#   status is the HTTP status, code the SkyBiometry error code (undefined for a
#   code not in names), detail the human text the gateway puts after the
#   error's name and reason a short machine string for logs.
#   detail must never contain a secret or a client-supplied value.
deny(order, status, code, detail, reason) := {
	"order": order,
	"status": status,
	"error_code": code,
	"detail": detail,
	"reason": reason,
} if names[code]
