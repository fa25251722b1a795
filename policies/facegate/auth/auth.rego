# METADATA
# title: Authentication modes
# description: |
#   The mode the request used (computed by Go) must be one of the key's
#   auth_modes, and that mode's evidence must hold:
#   secret: api_secret verified and TLS; signature: an RFC 9421 signature
#   present, valid, fresh (|age| <= 300 s), not replayed and covering every
#   required component; domain: an Origin from key.allowed_origins.
#   A key with client_cert_sha256 only works with that client certificate.
#   A wrong tags/* password (auth.password_ok == false) is 205.
package facegate.auth

import data.facegate.errors

# METADATA
# description: Authentication modes facegate knows.
modes := {"secret", "signature", "domain"}

# METADATA
# description: Maximum |now - created| of a signature, in seconds (docs/security.md §2).
max_signature_age_s := 300

# METADATA
# description: Components every signature must cover (docs/security.md §2).
required_components := ["@method", "@authority", "@path", "@query", "content-type", "content-digest"]

# METADATA
# description: TLS versions accepted for secret mode.
tls_versions := {"1.2", "1.3"}

fresh if abs(input.auth.signature.age_s) <= max_signature_age_s

# The common case first: the signature covers exactly the required list.
covers_required if input.auth.signature.covered == required_components

covers_required if {
	every c in required_components {
		c in input.auth.signature.covered
	}
}

normalize_origin(o) := trim_suffix(lower(o), "/")

origin_allowed if {
	origin := normalize_origin(input.request.origin)
	origin != ""
	some allowed in input.key.allowed_origins
	normalize_origin(allowed) == origin
}

normalize_fp(fp) := replace(lower(fp), ":", "")

cert_bound if input.auth.cert_bound == true

cert_bound if {
	fp := normalize_fp(input.request.tls.client_cert_sha256)
	fp != ""
	fp == normalize_fp(input.key.client_cert_sha256)
}

# METADATA
# description: Missing or unusable credentials.
deny contains errors.deny(30, 401, 204, "no credentials", "no_credentials") if {
	not is_string(object.get(input, ["auth", "mode"], null))
}

deny contains errors.deny(30, 401, 204, "no credentials", "no_credentials") if input.auth.mode == ""

deny contains errors.deny(31, 401, 204, "unknown authentication mode", "auth_mode_unknown") if {
	is_string(input.auth.mode)
	input.auth.mode != ""
	not input.auth.mode in modes
}

deny contains errors.deny(31, 403, 304, "authentication mode not allowed for this key", "auth_mode_not_allowed") if {
	input.auth.mode in modes

	# object.get: a missing key or auth_modes denies (a plain reference
	# would be undefined outside the negation, and the rule with it).
	not input.auth.mode in object.get(input, ["key", "auth_modes"], [])
}

deny contains errors.deny(32, 403, 304, "api_secret requires TLS", "secret_without_tls") if {
	input.auth.mode == "secret"
	not object.get(input, ["request", "tls", "version"], null) in tls_versions
}

deny contains errors.deny(33, 401, 204, "invalid api secret", "secret_invalid") if {
	input.auth.mode == "secret"
	not input.auth.secret_ok == true
}

deny contains errors.deny(33, 401, 204, "missing request signature", "signature_missing") if {
	input.auth.mode == "signature"
	not input.auth.signature.present == true
}

deny contains errors.deny(34, 401, 204, "invalid request signature", "signature_invalid") if {
	input.auth.mode == "signature"
	input.auth.signature.present == true
	not input.auth.signature.valid == true
}

deny contains errors.deny(35, 401, 204, "signature replayed", "signature_replayed") if {
	input.auth.mode == "signature"
	input.auth.signature.replayed == true
}

deny contains errors.deny(35, 401, 204, "signature too old or in the future", "signature_stale") if {
	input.auth.mode == "signature"
	not fresh
}

deny contains errors.deny(35, 401, 204, "signature does not cover the required components", "signature_components") if {
	input.auth.mode == "signature"
	not covers_required
}

deny contains errors.deny(36, 403, 304, "origin not allowed for this key", "origin_not_allowed") if {
	input.auth.mode == "domain"
	not origin_allowed
}

deny contains errors.deny(45, 403, 304, "client certificate required for this key", "cert_not_bound") if {
	input.key.client_cert_sha256 != ""
	not cert_bound
}

deny contains errors.deny(50, 401, 205, "password not correct", "password_incorrect") if {
	input.auth.password_ok == false
}
