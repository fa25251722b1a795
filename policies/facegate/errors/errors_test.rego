package facegate.errors_test

import data.facegate.errors

test_deny_builds_skybiometry_message if {
	d := errors.deny(20, 401, 201, "invalid api key", "key_not_found")
	d.detail == "invalid api key"
	d.error_code == 201
	d.status == 401
	d.order == 20
	d.reason == "key_not_found"
}

test_deny_undefined_for_unknown_code if {
	not errors.deny(1, 500, 999, "x", "y")
}

test_every_name_is_upper_snake if {
	every code, name in errors.names {
		is_number(code)
		regex.match(`^[A-Z_]+$`, name)
	}
}
