package facegate.keys_test

import data.facegate.fixtures
import data.facegate.keys

reasons(inp) := r if {
	r := {d.reason | some d in keys.deny with input as inp}
}

test_active_key_allowed if {
	count(reasons(fixtures.base)) == 0
}

test_key_not_found if {
	reasons(fixtures.with_key({"found": false})) == {"key_not_found"}
}

test_key_not_found_is_201_401 if {
	some d in keys.deny with input as fixtures.with_key({"found": false})
	d.error_code == 201
	d.status == 401
}

test_key_statuses if {
	reasons(fixtures.with_key({"status": "suspended"})) == {"key_suspended"}
	reasons(fixtures.with_key({"status": "revoked"})) == {"key_revoked"}
	reasons(fixtures.with_key({"status": "weird"})) == {"key_status_unknown"}
}

test_inactive_is_204 if {
	some d in keys.deny with input as fixtures.with_key({"status": "revoked"})
	d.error_code == 204
	d.status == 401
}

test_expired_key if {
	reasons(fixtures.with_key({"expires_at": fixtures.base.now_ns})) == {"key_expired"}
	reasons(fixtures.with_key({"expires_at": fixtures.base.now_ns - 1})) == {"key_expired"}
}

test_not_yet_expired_key if {
	count(reasons(fixtures.with_key({"expires_at": fixtures.base.now_ns + 1}))) == 0
}

test_zero_expiry_never_expires if {
	count(reasons(fixtures.with_patch({"key": {"expires_at": 0}, "now_ns": 9000000000000000000}))) == 0
}

test_allowed_inputs_pass if {
	count(reasons(fixtures.base)) == 0
	count(reasons(fixtures.with_key({"expires_at": fixtures.base.now_ns + 1}))) == 0
}

test_keys_deny_listed_inputs if {
	every k in [
		{"found": false},
		{"status": "suspended"},
		{"status": "revoked"},
		{"status": "paused"},
		{"expires_at": fixtures.base.now_ns},
	] {
		count(reasons(fixtures.with_key(k))) > 0
	}
}
