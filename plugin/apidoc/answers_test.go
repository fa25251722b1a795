package apidoc

import (
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/facegate/facegate/engine/service"
)

// jsonFields lists the json names of a struct type's exported fields.
func jsonFields(t reflect.Type) []string {
	var out []string
	for i := range t.NumField() {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if !f.IsExported() || name == "-" || name == "" {
			continue
		}
		out = append(out, name)
	}
	sort.Strings(out)
	return out
}

func propNames(def map[string]any) []string {
	var out []string
	for k := range asMap(def["properties"]) {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// TestAnswerObjectsMatchServiceTypes checks that every answer object of
// answers.json has exactly the fields of the Go type the service encodes,
// so that the API reference cannot drift from the answers.
func TestAnswerObjectsMatchServiceTypes(t *testing.T) {
	s := loadEmbedded(t)
	for def, typ := range map[string]any{
		"point":       service.Point{},
		"attribute":   service.Attribute{},
		"tag":         service.Tag{},
		"uid_match":   service.UIDMatch{},
		"similarity":  service.Similarity{},
		"photo":       service.Photo{},
		"group":       service.Group{},
		"user_status": service.UserStatus{},
		"usage":       service.Usage{},
	} {
		got, want := propNames(s.Answers[def]), jsonFields(reflect.TypeOf(typ))
		if !reflect.DeepEqual(got, want) {
			t.Errorf("answers.json %s has fields %v, service.%s encodes %v", def, got, reflect.TypeOf(typ).Name(), want)
		}
	}
	for _, c := range []struct {
		def, field string
		typ        any
	}{
		{"namespaces_answer", "namespaces", service.Namespace{}},
		{"save_answer", "saved_tags", service.SavedTag{}},
		{"remove_answer", "removed_tags", service.RemovedTag{}},
	} {
		items := asMap(asMap(asMap(s.Answers[c.def]["properties"])[c.field])["items"])
		got, want := propNames(items), jsonFields(reflect.TypeOf(c.typ))
		if !reflect.DeepEqual(got, want) {
			t.Errorf("answers.json %s.%s items have fields %v, service.%s encodes %v", c.def, c.field, got, reflect.TypeOf(c.typ).Name(), want)
		}
	}
	// Every field of service.Response is documented in the envelope, the
	// error or some method's answer.
	documented := map[string]bool{}
	for _, name := range []string{"envelope", "error"} {
		for _, p := range propNames(s.Answers[name]) {
			documented[p] = true
		}
	}
	for _, m := range s.Methods {
		for _, f := range s.answerFields(m.Answer) {
			documented[f.name] = true
		}
	}
	for _, f := range jsonFields(reflect.TypeOf(service.Response{})) {
		if !documented[f] {
			t.Errorf("service.Response field %q is in no answer of answers.json", f)
		}
	}
}
