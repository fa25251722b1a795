package facegate.auth_test

import data.facegate.auth
import data.facegate.fixtures

reasons(inp) := r if {
	r := {d.reason | some d in auth.deny with input as inp}
}

secret_input(extra) := object.union(
	fixtures.with_auth({"mode": "secret", "secret_ok": true, "signature": {"present": false, "valid": false}}),
	extra,
)

sig_input(s) := fixtures.with_auth({"signature": s})

test_signature_allowed if {
	count(reasons(fixtures.base)) == 0
}

test_secret_allowed if {
	count(reasons(secret_input({}))) == 0
}

test_secret_tls_1_2_allowed if {
	count(reasons(secret_input({"request": {"tls": {"version": "1.2"}}}))) == 0
}

test_no_credentials if {
	reasons(fixtures.with_auth({"mode": ""})) == {"no_credentials"}
	reasons(json.remove(fixtures.base, ["/auth/mode"])) == {"no_credentials"}
}

test_unknown_mode if {
	reasons(fixtures.with_auth({"mode": "magic"})) == {"auth_mode_unknown"}
}

test_mode_not_allowed_for_key if {
	reasons(fixtures.with_key({"auth_modes": ["secret"]})) == {"auth_mode_not_allowed"}
}

test_mode_not_allowed_is_304 if {
	some d in auth.deny with input as fixtures.with_key({"auth_modes": []})
	d.error_code == 304
	d.status == 403
}

test_secret_without_tls if {
	reasons(secret_input({"request": {"tls": {"version": ""}}})) == {"secret_without_tls"}
	reasons(secret_input({"request": {"tls": {"version": "1.0"}}})) == {"secret_without_tls"}
}

test_secret_invalid if {
	reasons(secret_input({"auth": {"secret_ok": false}})) == {"secret_invalid"}
}

test_secret_invalid_is_204_401 if {
	some d in auth.deny with input as secret_input({"auth": {"secret_ok": false}})
	d.error_code == 204
	d.status == 401
}

test_signature_missing if {
	reasons(sig_input({"present": false, "valid": false})) == {"signature_missing"}
}

test_signature_invalid if {
	reasons(sig_input({"valid": false})) == {"signature_invalid"}
}

test_signature_replayed if {
	reasons(sig_input({"replayed": true})) == {"signature_replayed"}
}

test_signature_age if {
	count(reasons(sig_input({"age_s": 300}))) == 0
	count(reasons(sig_input({"age_s": -300}))) == 0
	reasons(sig_input({"age_s": 301})) == {"signature_stale"}
	reasons(sig_input({"age_s": -301})) == {"signature_stale"}
}

test_signature_components if {
	reasons(sig_input({"covered": ["@method", "@authority", "@path", "@query", "content-type"]})) == {"signature_components"}
	reasons(sig_input({"covered": []})) == {"signature_components"}
}

test_signature_extra_components_ok if {
	count(reasons(sig_input({"covered": array.concat(auth.required_components, ["date"])}))) == 0
}

domain_input(origin) := fixtures.with_patch({
	"request": {"origin": origin},
	"key": {"auth_modes": ["domain"]},
	"auth": {"mode": "domain"},
})

test_domain_origin_allowed if {
	count(reasons(domain_input("https://app.example.com"))) == 0
	count(reasons(domain_input("https://APP.example.com/"))) == 0
}

test_domain_origin_not_allowed if {
	reasons(domain_input("https://evil.example.com")) == {"origin_not_allowed"}
	reasons(domain_input("")) == {"origin_not_allowed"}
}

bound(key_fp, req_fp, go_bound) := fixtures.with_patch({
	"request": {"tls": {"client_cert_sha256": req_fp}},
	"key": {"client_cert_sha256": key_fp},
	"auth": {"cert_bound": go_bound},
})

test_cert_binding if {
	count(reasons(bound("ab:cd", "ABCD", false))) == 0
	count(reasons(bound("abcd", "", true))) == 0
	reasons(bound("abcd", "", false)) == {"cert_not_bound"}
	reasons(bound("abcd", "abce", false)) == {"cert_not_bound"}
}

test_password if {
	count(reasons(fixtures.with_auth({"password_ok": true}))) == 0
	count(reasons(fixtures.with_auth({"password_ok": null}))) == 0
	reasons(fixtures.with_auth({"password_ok": false})) == {"password_incorrect"}
}

test_password_is_205 if {
	some d in auth.deny with input as fixtures.with_auth({"password_ok": false})
	d.error_code == 205
}

test_allowed_inputs_pass if {
	count(reasons(fixtures.base)) == 0
	count(reasons(secret_input({}))) == 0
	count(reasons(fixtures.with_patch({"key": {"auth_modes": ["domain"]}, "auth": {"mode": "domain"}, "request": {"origin": "https://APP.example.com/"}}))) == 0
	count(reasons(fixtures.with_patch({"key": {"client_cert_sha256": "AB:12"}, "request": {"tls": {"client_cert_sha256": "ab12"}}}))) == 0
	count(reasons(fixtures.with_auth({"password_ok": true}))) == 0

	# components in another order: still ok, through the every check
	count(reasons(sig_input({"covered": ["content-digest", "content-type", "@query", "@path", "@authority", "@method"]}))) == 0
}

test_auth_denies_listed_inputs if {
	every inp in [
		fixtures.with_auth({"mode": ""}),
		fixtures.with_auth({"mode": "basic"}),
		fixtures.with_key({"auth_modes": ["secret"]}),
		secret_input({"request": {"tls": {"version": ""}}}),
		secret_input({"auth": {"secret_ok": false}}),
		sig_input({"present": false}),
		sig_input({"valid": false}),
		sig_input({"replayed": true}),
		sig_input({"age_s": 301}),
		sig_input({"covered": ["@method"]}),
		fixtures.with_patch({"key": {"auth_modes": ["domain"]}, "auth": {"mode": "domain"}, "request": {"origin": "https://evil.example.com"}}),
		fixtures.with_key({"client_cert_sha256": "ab12"}),
		fixtures.with_auth({"password_ok": false}),
	] {
		count(reasons(inp)) > 0
	}
}
