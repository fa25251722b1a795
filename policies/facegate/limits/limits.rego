# METADATA
# title: Rate, concurrency and quota limits
# description: |
#   Which limits the guard charges for an allowed request: the key's tier
#   (free, standard, unlimited; unknown tiers count as free), then extra
#   limits for expensive methods, then per-key overrides from key.limits
#   (merged by name over the tier's limit; {"disabled": true} removes one;
#   new names need a kind and come last, sorted). Quota limits cost one per
#   image (at least 1); on account/* routes they cost 0, so that their
#   usage block (and account/limits) still reports the quota.
#   Tier and method tables are written in the decision's shape so that keys
#   without overrides (the common case) need no merging; limits_test.rego
#   checks that they are well formed, and overrides are checked per request.
package facegate.limits

import data.facegate.errors
import data.facegate.routes

# METADATA
# description: Limits per tier. rate = tokens per per_s seconds (GCRA), count = max.
tiers := {
	"free": [
		{"name": "concurrency", "kind": "concurrency", "count": 2},
		{"name": "key-rate", "kind": "rate", "rate": 5, "per_s": 1, "burst": 10},
		{"name": "quota", "kind": "quota", "count": 100, "per_s": 3600},
	],
	"standard": [
		{"name": "concurrency", "kind": "concurrency", "count": 4},
		{"name": "key-rate", "kind": "rate", "rate": 10, "per_s": 1, "burst": 20},
		{"name": "quota", "kind": "quota", "count": 1000, "per_s": 3600},
	],
	"unlimited": [],
}

# METADATA
# description: Extra limits for expensive methods (every tier but unlimited).
method_limits := {"faces/train": [{"name": "train-rate", "kind": "rate", "rate": 1, "per_s": 10, "burst": 3}]}

# METADATA
# description: |
#   The tier's limits, then the method's (every tier but unlimited).
#   An unknown or missing tier counts as free: tiers[input.key.tier] is
#   then undefined, and so are the first two branches.
base := array.concat(tiers[input.key.tier], object.get(method_limits, input.request.route, [])) if {
	input.key.tier != "unlimited"
} else := tiers[input.key.tier] if {
	input.key.tier == "unlimited"
} else := array.concat(tiers.free, object.get(method_limits, input.request.route, []))

overrides := o if {
	o := input.key.limits
	is_object(o)
	count(o) > 0
}

effective := base if not overrides

effective := merged if overrides

# METADATA
# description: The tier's limits with the key's overrides merged in by name.
merged := [shape(l) |
	some name in array.concat(base_names, new_names)
	not overrides[name].disabled == true
	l := object.union(object.union(object.get(base_by_name, name, {}), object.get(overrides, name, {})), {"name": name})
]

base_names := [l.name | some l in base]

base_by_name := {l.name: l | some l in base}

new_names := sort([name | some name, _ in overrides; not base_by_name[name]])

shape(l) := {"name": l.name, "kind": "rate", "rate": l.rate, "per_s": l.per_s, "burst": l.burst} if {
	l.kind == "rate"
	positive(l.rate)
	positive(l.per_s)
	positive(l.burst)
} else := {"name": l.name, "kind": "concurrency", "count": l.count} if {
	l.kind == "concurrency"
	positive(l.count)
} else := {"name": l.name, "kind": "quota", "count": l.count, "per_s": l.per_s} if {
	l.kind == "quota"
	positive(l.count)
	positive(l.per_s)
} else := {"name": l.name, "kind": "invalid"}

positive(x) if {
	is_number(x)
	x > 0
}

quota_applies if routes.table[input.request.route].quota == true

quota_applies if input.request.proxied == true

cost := max([input.request.images, 1]) if is_number(input.request.images)

else := 1

charge(l) := l if {
	l.kind != "quota"
} else := object.union(l, {"cost": cost}) if {
	quota_applies
} else := object.union(l, {"cost": 0})

# METADATA
# description: The limits to charge, in tier order, then method limits, then new override names.
list := [c |
	some l in base
	c := charge(l)
] if {
	input.key.limits == {}
} else := [c |
	some l in effective
	c := charge(l)
]

config_invalid if {
	overrides
	some l in merged
	l.kind == "invalid"
}

# METADATA
# description: A key whose limit overrides are malformed fails closed.
deny contains errors.deny(90, 500, 104, "limit configuration invalid", "limit_config_invalid") if config_invalid
