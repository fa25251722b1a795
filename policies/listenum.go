package policies

import (
	"fmt"
	"slices"
	"strings"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"golang.org/x/text/message"
)

// listItemEnum is facegate's second list keyword: "listItemEnum": [...],
// the values each non-empty item of a comma-separated string parameter may
// take (after trimming spaces). SkyBiometry's `attributes` takes a list of
// attribute names, and an unknown name is refused like any other invalid
// value (INVALID_ARGUMENTS_VALUE) instead of passing silently.
type listItemEnum []string

func compileListItemEnum(obj map[string]any) (jsonschema.SchemaExt, error) {
	v, ok := obj["listItemEnum"]
	if !ok {
		return nil, nil
	}
	arr, ok := v.([]any)
	if !ok || len(arr) == 0 {
		return nil, fmt.Errorf("listItemEnum: want a non-empty array of strings")
	}
	out := make(listItemEnum, len(arr))
	for i, a := range arr {
		s, ok := a.(string)
		if !ok || s == "" {
			return nil, fmt.Errorf("listItemEnum: item %d is not a non-empty string", i)
		}
		out[i] = s
	}
	return out, nil
}

// Validate refuses a list with an item outside the enum. The error names
// the allowed values, never the item (parameter values stay out of errors).
func (e listItemEnum) Validate(ctx *jsonschema.ValidatorContext, v any) {
	s, ok := v.(string)
	if !ok {
		return
	}
	for item := range strings.SplitSeq(s, ",") {
		item = strings.TrimSpace(item)
		if item != "" && !slices.Contains(e, item) {
			ctx.AddError(&ListItemNotAllowed{Want: e})
			return
		}
	}
}

// ListItemNotAllowed is the error kind of listItemEnum.
type ListItemNotAllowed struct {
	Want []string
}

// KeywordPath implements jsonschema.ErrorKind.
func (*ListItemNotAllowed) KeywordPath() []string {
	return []string{"listItemEnum"}
}

// LocalizedString implements jsonschema.ErrorKind.
func (k *ListItemNotAllowed) LocalizedString(p *message.Printer) string {
	return p.Sprintf("listItemEnum: want items from %s", strings.Join(k.Want, ", "))
}
