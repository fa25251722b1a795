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

key := input.key

found if key.found == true

status_known if key.status in statuses

# METADATA
# description: expires_at is unix nanoseconds; 0 (or absent) means never.
expired if {
	key.expires_at > 0
	input.now_ns >= key.expires_at
}

# METADATA
# description: Missing, inactive and expired keys.
deny contains errors.deny(20, 401, 201, "invalid api key", "key_not_found") if not found

deny contains errors.deny(40, 401, 204, "api key is not active", "key_suspended") if {
	found
	key.status == "suspended"
}

deny contains errors.deny(40, 401, 204, "api key is not active", "key_revoked") if {
	found
	key.status == "revoked"
}

deny contains errors.deny(40, 401, 204, "api key is not active", "key_status_unknown") if {
	found
	not status_known
}

deny contains errors.deny(41, 401, 204, "api key is not active", "key_expired") if {
	found
	expired
}
