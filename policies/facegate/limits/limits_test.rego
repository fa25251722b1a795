package facegate.limits_test

import data.facegate.fixtures
import data.facegate.limits

list(inp) := r if {
	r := limits.list with input as inp
}

by_name(inp) := {l.name: l | some l in list(inp)}

test_free_tier_recognize if {
	list(fixtures.base) == [
		{"name": "concurrency", "kind": "concurrency", "count": 2},
		{"name": "key-rate", "kind": "rate", "rate": 5, "per_s": 1, "burst": 10},
		{"name": "quota", "kind": "quota", "count": 100, "per_s": 3600, "cost": 2},
	]
}

test_standard_tier if {
	l := by_name(fixtures.with_key({"tier": "standard"}))
	l["key-rate"].rate == 10
	l.concurrency.count == 4
	l.quota.count == 1000
}

test_unknown_tier_is_free if {
	by_name(fixtures.with_key({"tier": "gold"}))["key-rate"].rate == 5
	by_name(json.remove(fixtures.base, ["/key/tier"]))["key-rate"].rate == 5
}

test_unlimited_tier if {
	list(fixtures.with_key({"tier": "unlimited"})) == []
	list(fixtures.with_patch({"key": {"tier": "unlimited"}, "request": {"route": "faces/train"}})) == []
}

test_quota_cost_per_image_min_one if {
	by_name(fixtures.with_request({"images": 5})).quota.cost == 5
	by_name(fixtures.with_request({"route": "faces/train", "images": 0})).quota.cost == 1
	by_name(json.remove(fixtures.base, ["/request/images"])).quota.cost == 1
}

test_account_routes_not_charged_to_quota if {
	l := by_name(fixtures.with_request({"route": "account/limits", "images": 0}))
	l.quota.cost == 0
	l["key-rate"]
}

test_proxied_charged_to_quota if {
	by_name(fixtures.proxied("/v1/items", "GET")).quota.cost == 1
}

test_tables_are_well_formed if {
	every name, ls in limits.tiers {
		is_string(name)
		every l in ls {
			limits.shape(l) == l
		}
	}
	every route, ls in limits.method_limits {
		is_string(route)
		every l in ls {
			limits.shape(l) == l
		}
	}
}

test_train_has_method_limit if {
	by_name(fixtures.with_request({"route": "faces/train"}))["train-rate"] == {"name": "train-rate", "kind": "rate", "rate": 1, "per_s": 10, "burst": 3}
}

test_key_override_merges if {
	l := by_name(fixtures.with_key({"limits": {"key-rate": {"rate": 50, "burst": 100}, "quota": {"count": 5000}}}))
	l["key-rate"] == {"name": "key-rate", "kind": "rate", "rate": 50, "per_s": 1, "burst": 100}
	l.quota.count == 5000
	l.quota.per_s == 3600
}

test_key_override_disables if {
	l := by_name(fixtures.with_key({"limits": {"concurrency": {"disabled": true}}}))
	not l.concurrency
	l["key-rate"]
}

test_key_override_adds if {
	l := by_name(fixtures.with_key({"limits": {"daily": {"kind": "quota", "count": 10000, "per_s": 86400}}}))
	l.daily == {"name": "daily", "kind": "quota", "count": 10000, "per_s": 86400, "cost": 2}
}

test_key_override_on_unlimited if {
	list(fixtures.with_key({"tier": "unlimited", "limits": {"c": {"kind": "concurrency", "count": 1}}})) == [{"name": "c", "kind": "concurrency", "count": 1}]
}

test_null_overrides_ignored if {
	count(list(fixtures.with_key({"limits": null}))) == 3
}

test_bad_override_fails_closed if {
	bad := [
		{"key-rate": {"rate": 0}},
		{"key-rate": {"burst": -1}},
		{"quota": {"per_s": "x"}},
		{"concurrency": {"count": 0}},
		{"new": {"rate": 1}},
		{"new": {"kind": "leaky", "count": 1}},
		{"quota": {"kind": "rate"}},
	]
	every o in bad {
		some d in limits.deny with input as fixtures.with_key({"limits": o})
		d.reason == "limit_config_invalid"
		d.error_code == 104
		d.status == 500
	}
}

test_good_config_no_denials if {
	count(limits.deny) == 0 with input as fixtures.base
}

test_allowed_inputs_pass if {
	count(limits.deny) == 0 with input as fixtures.base
	count(limits.deny) == 0 with input as fixtures.with_key({"limits": {"quota": {"count": 5}}})
	count(limits.deny) == 0 with input as fixtures.with_key({"limits": {"key-rate": {"disabled": true}, "daily": {"kind": "quota", "count": 5, "per_s": 60}}})
}

test_noop_override_gives_the_same_list if {
	# An override that changes nothing must give the same list.
	list(fixtures.with_key({"limits": {"quota": {"count": 100}}})) == list(fixtures.base)
	list(fixtures.with_patch({"key": {"limits": {"key-rate": {"rate": 10}}, "tier": "standard"}, "request": {"route": "faces/train"}})) == list(fixtures.with_patch({"key": {"tier": "standard"}, "request": {"route": "faces/train"}}))
}
