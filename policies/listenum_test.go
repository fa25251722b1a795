package policies

import (
	"strings"
	"testing"
)

// TestAttributeNames: the attributes parameter of the image methods takes
// SkyBiometry's attribute names only; an unknown name is invalid (406 by
// the schema policy) and its error names the allowed values, not the item.
func TestAttributeNames(t *testing.T) {
	v := newTestValidator(t)
	cases := []struct {
		attrs string
		valid bool
	}{
		{"all", true},
		{"none", true},
		{"face,gender,smiling", true},
		{" gender , age_est ,mood", true},
		{"lips,eyes", true},
		{"glasses,dark_glasses", true}, // accepted, never answered
		{"age_min,age_max", true},
		{"genders", false},
		{"gender,beard", false},
		{"hat", false},
		{"all,unknown_thing", false},
	}
	for _, route := range []string{"faces/detect", "faces/recognize", "faces/group"} {
		for _, c := range cases {
			params := map[string]string{"attributes": c.attrs, "uids": "all", "namespace": "docs"}
			got := v.Validate(route, params)
			if got.Valid != c.valid {
				t.Errorf("%s attributes=%q: valid %v, want %v (%+v)", route, c.attrs, got.Valid, c.valid, got.Errors)
				continue
			}
			if c.valid {
				continue
			}
			if len(got.Errors) != 1 || got.Errors[0].Param != "attributes" || got.Errors[0].Kind != KindInvalid {
				t.Fatalf("%s attributes=%q: errors %+v, want one invalid attributes", route, c.attrs, got.Errors)
			}
			msg := got.Errors[0].Message
			if !strings.Contains(msg, "gender") || !strings.Contains(msg, "dark_glasses") {
				t.Errorf("message %q does not list the allowed names", msg)
			}
			for _, item := range strings.Split(c.attrs, ",") {
				if item = strings.TrimSpace(item); item != "" && !strings.Contains("all none face gender smiling age_est mood lips eyes glasses dark_glasses age_min age_max", item) && strings.Contains(msg, item) {
					t.Errorf("message %q echoes the value %q", msg, item)
				}
			}
		}
	}
}

func TestListItemEnumSchemaErrors(t *testing.T) {
	for _, bad := range []map[string]any{
		{"listItemEnum": "face"},
		{"listItemEnum": []any{}},
		{"listItemEnum": []any{"face", 3}},
		{"listItemEnum": []any{""}},
	} {
		if _, err := compileListItemEnum(bad); err == nil {
			t.Errorf("compileListItemEnum(%v): no error", bad)
		}
	}
	if ext, err := compileListItemEnum(map[string]any{}); ext != nil || err != nil {
		t.Errorf("absent keyword: %v %v", ext, err)
	}
}
