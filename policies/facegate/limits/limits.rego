# METADATA
# title: Rate, concurrency and quota limits
# description: |
#   Which limits the guard charges for an allowed request: the key's tier
#   (free, standard, unlimited; unknown tiers count as free), extra limits
#   for expensive methods, then per-key overrides from key.limits (merged by
#   name over the tier's limit; {"disabled": true} removes one; new names need
#   a kind). Quota limits cost one per image (at least 1) and are not charged
#   on account/* routes. The result is a list sorted by name.
package facegate.limits

import data.facegate.errors
import data.facegate.routes

# METADATA
# description: Limits per tier. rate = tokens per per_s seconds (GCRA), count = max.
tiers := {
	"free": {
		"key-rate": {"kind": "rate", "rate": 5, "per_s": 1, "burst": 10},
		"concurrency": {"kind": "concurrency", "count": 2},
		"quota": {"kind": "quota", "count": 100, "per_s": 3600},
	},
	"standard": {
		"key-rate": {"kind": "rate", "rate": 10, "per_s": 1, "burst": 20},
		"concurrency": {"kind": "concurrency", "count": 4},
		"quota": {"kind": "quota", "count": 1000, "per_s": 3600},
	},
	"unlimited": {},
}

# METADATA
# description: Extra limits for expensive methods (every tier but unlimited).
method_limits := {"faces/train": {"train-rate": {"kind": "rate", "rate": 1, "per_s": 10, "burst": 3}}}

tier := t if {
	t := input.key.tier
	tiers[t]
} else := "free"

method_base := m if {
	tier != "unlimited"
	m := method_limits[input.request.route]
} else := {}

base := object.union(tiers[tier], method_base)

overrides := o if {
	o := input.key.limits
	is_object(o)
} else := {}

disabled(name) if overrides[name].disabled == true

names := {n | some n, _ in base} | {n | some n, _ in overrides}

merged[name] := object.union(object.get(base, name, {}), object.get(overrides, name, {})) if {
	some name in names
	not disabled(name)
}

charged if routes.current.quota

charged if routes.proxied

cost := max([images, 1])

images := n if {
	n := input.request.images
	is_number(n)
} else := 0

positive(l, field) if {
	is_number(l[field])
	l[field] > 0
}

# METADATA
# description: Whether a merged limit has what its kind needs.
well_formed(l) if {
	l.kind == "rate"
	positive(l, "rate")
	positive(l, "per_s")
	positive(l, "burst")
}

well_formed(l) if {
	l.kind == "concurrency"
	positive(l, "count")
}

well_formed(l) if {
	l.kind == "quota"
	positive(l, "count")
	positive(l, "per_s")
}

shape(name, l) := {"name": name, "kind": "rate", "rate": l.rate, "per_s": l.per_s, "burst": l.burst} if l.kind == "rate"

shape(name, l) := {"name": name, "kind": "concurrency", "count": l.count} if l.kind == "concurrency"

shape(name, l) := {"name": name, "kind": "quota", "count": l.count, "per_s": l.per_s, "cost": cost} if l.kind == "quota"

applies(l) if l.kind != "quota"

applies(l) if {
	l.kind == "quota"
	charged
}

# METADATA
# description: The limits to charge, sorted by name.
list := [shape(name, l) |
	some name in sort(object.keys(merged))
	l := merged[name]
	well_formed(l)
	applies(l)
]

# METADATA
# description: A limit the key's configuration breaks fails closed.
deny contains errors.deny(90, 500, 104, "limit configuration invalid", "limit_config_invalid") if {
	some l in merged
	not well_formed(l)
}
