package plugin

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestXMLRealAnswers transcodes answers the binary gave (testdata/answers,
// captured with curl from `facegate serve` on a detection-set photo:
// detect with attributes=all and detect_all_feature_points, tags/save,
// faces/train, recognize and group against the trained uid, tags/get,
// account/users and limits, an unknown attribute's error) and checks that
// the XML parses into the same values, in the same order.
func TestXMLRealAnswers(t *testing.T) {
	files, err := filepath.Glob("testdata/answers/*.json")
	if err != nil || len(files) < 9 {
		t.Fatalf("answers: %v %v", files, err)
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			raw, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			doc := string(sameAnswer(t, json.RawMessage(raw)))
			switch filepath.Base(f) {
			case "detect.json":
				for _, want := range []string{`<points list="true"><point><x>`, `<attributes><age_est><value>31</value>`, `<face><value>true</value>`, `<lips><value>parted</value>`, `<uids list="true"/>`} {
					if !strings.Contains(doc, want) {
						t.Errorf("missing %s", want)
					}
				}
			case "recognize.json":
				if !strings.Contains(doc, `<uids list="true"><recognition><uid>person@demo</uid><confidence>`) {
					t.Errorf("recognize candidates:\n%.600s", doc)
				}
			case "error_attributes.json":
				if !strings.Contains(doc, `<error_code>406</error_code>`) {
					t.Errorf("error:\n%s", doc)
				}
			}
		})
	}
}
