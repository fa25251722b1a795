package policies

import (
	"fmt"
	"strings"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"golang.org/x/text/message"
)

// listVocabURL identifies facegate's JSON Schema vocabulary, which adds
// one keyword: "maxListItems": N, the most non-empty items a
// comma-separated string parameter may have (SkyBiometry lists arrive as
// "a,b,c", so the standard maxItems cannot see them), and "listItemEnum"
// (listenum.go).
const listVocabURL = "https://facegate.dev/schemas/vocab/list"

func listVocabulary() (*jsonschema.Vocabulary, error) {
	meta, err := jsonschema.UnmarshalJSON(strings.NewReader(
		`{"properties": {"maxListItems": {"type": "integer", "minimum": 1},
		  "listItemEnum": {"type": "array", "minItems": 1, "items": {"type": "string", "minLength": 1}}}}`))
	if err != nil {
		return nil, fmt.Errorf("parsing the list vocabulary: %w", err)
	}
	c := jsonschema.NewCompiler()
	if err := c.AddResource(listVocabURL, meta); err != nil {
		return nil, fmt.Errorf("adding the list vocabulary: %w", err)
	}
	sch, err := c.Compile(listVocabURL)
	if err != nil {
		return nil, fmt.Errorf("compiling the list vocabulary: %w", err)
	}
	return &jsonschema.Vocabulary{URL: listVocabURL, Schema: sch, Compile: compileListKeywords}, nil
}

// compileListKeywords compiles the vocabulary's keywords present in obj.
func compileListKeywords(ctx *jsonschema.CompilerContext, obj map[string]any) (jsonschema.SchemaExt, error) {
	var exts listKeywords
	max, err := compileMaxListItems(ctx, obj)
	if err != nil {
		return nil, err
	}
	if max != nil {
		exts = append(exts, max)
	}
	enum, err := compileListItemEnum(obj)
	if err != nil {
		return nil, err
	}
	if enum != nil {
		exts = append(exts, enum)
	}
	switch len(exts) {
	case 0:
		return nil, nil
	case 1:
		return exts[0], nil
	}
	return exts, nil
}

// listKeywords runs several of the vocabulary's keywords of one schema.
type listKeywords []jsonschema.SchemaExt

// Validate runs each keyword.
func (l listKeywords) Validate(ctx *jsonschema.ValidatorContext, v any) {
	for _, k := range l {
		k.Validate(ctx, v)
	}
}

func compileMaxListItems(_ *jsonschema.CompilerContext, obj map[string]any) (jsonschema.SchemaExt, error) {
	v, ok := obj["maxListItems"]
	if !ok {
		return nil, nil
	}
	n, err := jsonNumberToInt(v)
	if err != nil {
		return nil, fmt.Errorf("maxListItems: %w", err)
	}
	return maxListItems(n), nil
}

func jsonNumberToInt(v any) (int, error) {
	switch n := v.(type) {
	case float64:
		return int(n), nil
	case interface{ Int64() (int64, error) }:
		i, err := n.Int64()
		return int(i), err
	}
	return 0, fmt.Errorf("not an integer: %T", v)
}

// maxListItems is the compiled keyword.
type maxListItems int

// Validate counts the non-empty items of a comma-separated string.
func (m maxListItems) Validate(ctx *jsonschema.ValidatorContext, v any) {
	s, ok := v.(string)
	if !ok {
		return
	}
	if n := countListItems(s); n > int(m) {
		ctx.AddError(&ListTooLong{Got: n, Want: int(m)})
	}
}

func countListItems(s string) int {
	n := 0
	for item := range strings.SplitSeq(s, ",") {
		if strings.TrimSpace(item) != "" {
			n++
		}
	}
	return n
}

// ListTooLong is the error kind of maxListItems.
type ListTooLong struct {
	Got, Want int
}

// KeywordPath implements jsonschema.ErrorKind.
func (*ListTooLong) KeywordPath() []string {
	return []string{"maxListItems"}
}

// LocalizedString implements jsonschema.ErrorKind.
func (k *ListTooLong) LocalizedString(p *message.Printer) string {
	return p.Sprintf("maxListItems: got %d, want %d", k.Got, k.Want)
}
