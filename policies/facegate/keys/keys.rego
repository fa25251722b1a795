# METADATA
# title: API keys
# description: |
#   The key must exist, be active and not expired. Status and expiry are
#   checked after the credentials (auth package), so a caller without the
#   secret learns nothing beyond API_KEY_NOT_AUTHENTICATED.
package facegate.keys

import data.facegate.errors

# METADATA
# description: Statuses a key record can have.
statuses := {"active", "suspended", "revoked"}

# METADATA
# description: |
#   Missing, inactive and expired keys. expires_at is unix nanoseconds;
#   0 (or absent) means never. Conditions on input come first so that
#   OPA's rule index skips the rules that cannot match.
deny contains errors.deny(20, 401, 201, "invalid api key", "key_not_found") if not input.key.found == true

deny contains errors.deny(40, 401, 204, "api key is not active", "key_suspended") if {
	input.key.status == "suspended"
	input.key.found == true
}

deny contains errors.deny(40, 401, 204, "api key is not active", "key_revoked") if {
	input.key.status == "revoked"
	input.key.found == true
}

deny contains errors.deny(40, 401, 204, "api key is not active", "key_status_unknown") if {
	input.key.found == true
	not object.get(input, ["key", "status"], null) in statuses
}

deny contains errors.deny(41, 401, 204, "api key is not active", "key_expired") if {
	input.key.expires_at > 0
	input.now_ns >= input.key.expires_at
	input.key.found == true
}
