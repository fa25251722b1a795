package service

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/facegate/facegate/engine/skyerr"
)

// TestCheckAgreesWithCall: every request Check refuses, Call refuses with
// the same error; requests Check admits are not refused by Call's argument
// checks (they succeed here, or fail on their images).
func TestCheckAgreesWithCall(t *testing.T) {
	e := newEnv(t)
	e.svc.SetMaxImages(2)
	face := img(person("alice", 1, 50))
	cases := []struct {
		method string
		params map[string]string
		files  int
		code   int // 0: Check admits it
	}{
		{"faces/detect", nil, 1, 0},
		{"faces/detect", map[string]string{"urls": "http://img/alice.jpg"}, 0, 0},
		{"faces/detect", map[string]string{"urls": "http://img/bad.jpg"}, 0, 0}, // fails on its image: work was done
		{"faces/detect", nil, 0, skyerr.MissingArgs},
		{"faces/detect", nil, 3, skyerr.ListTooLong},
		{"faces/detect", map[string]string{"urls": "http://img/alice.jpg,http://img/alice.jpg"}, 1, skyerr.ListTooLong},
		{"faces/detect", map[string]string{"detector": "fast"}, 1, skyerr.InvalidArgs},
		{"faces/detect", map[string]string{"detect_all_feature_points": "maybe"}, 1, skyerr.InvalidArgs},
		{"faces/recognize", map[string]string{"uids": "all", "namespace": "ns"}, 1, 0},
		{"faces/recognize", map[string]string{"uids": "x@ns"}, 1, 0},
		{"faces/recognize", nil, 1, skyerr.MissingArgs},
		{"faces/recognize", map[string]string{"uids": "all"}, 1, skyerr.MissingNS},
		{"faces/recognize", map[string]string{"uids": "x@other"}, 1, skyerr.Namespace},
		{"faces/recognize", map[string]string{"uids": "x@ns", "limit": "0"}, 1, skyerr.InvalidArgs},
		{"faces/recognize", map[string]string{"uids": "x@ns", "matching_threshold": "101"}, 1, skyerr.InvalidArgs},
		{"faces/recognize", map[string]string{"uids": strings.Repeat("x", 65) + "@ns"}, 1, skyerr.UIDTooLong},
		{"faces/recognize", map[string]string{"uids": "x@ns"}, 0, skyerr.MissingArgs},
		{"faces/group", map[string]string{"uids": "all", "namespace": "ns"}, 2, 0},
		{"faces/group", map[string]string{"uids": "all", "namespace": "ns", "threshold": "x"}, 2, skyerr.InvalidArgs},
		{"faces/group", map[string]string{"uids": "all", "namespace": "ns", "return_similarities": "maybe"}, 2, skyerr.InvalidArgs},
		{"faces/group", map[string]string{"uids": "all", "namespace": "ns"}, 3, skyerr.ListTooLong},
		{"tags/save", nil, 0, 0}, // not an image method: Call checks it
		{"account/limits", nil, 0, 0},
	}
	for i, c := range cases {
		t.Run(fmt.Sprint(i, c.method), func(t *testing.T) {
			req := func() *Request {
				r := &Request{Method: c.method, Owner: "alice-co", Namespaces: []string{"*"}, Params: map[string]string{}}
				for k, v := range c.params {
					r.Params[k] = v
				}
				for range c.files {
					r.Files = append(r.Files, File{Name: "f", Data: face})
				}
				return r
			}
			err := e.svc.Check(req())
			if c.code == 0 {
				if err != nil {
					t.Fatalf("Check: %v, want nil", err)
				}
				if imageMethods[c.method] {
					if _, err := e.svc.Call(context.Background(), req()); err != nil {
						if se, ok := err.(*skyerr.Error); !ok || se.Code > 36 {
							t.Fatalf("Check admitted it but Call refused its arguments: %v", err)
						}
					}
				}
				return
			}
			wantCode(t, err, c.code)
			_, callErr := e.svc.Call(context.Background(), req())
			wantCode(t, callErr, c.code)
			if err.Error() != callErr.Error() {
				t.Errorf("Check %q, Call %q", err, callErr)
			}
		})
	}
}

// TestCheckDoesNoWork: Check never runs the analyzer, even on a request
// whose images would be analysed.
func TestCheckDoesNoWork(t *testing.T) {
	e := newEnv(t)
	counting := &countingAnalyzer{}
	e.svc.an = counting
	req := &Request{Method: "faces/recognize", Owner: "alice-co", Namespaces: []string{"*"},
		Params: map[string]string{"uids": "x@other"}, Files: []File{{Name: "f", Data: img(person("bob", 1, 50))}}}
	if err := e.svc.Check(req); err == nil {
		t.Fatal("Check admitted a foreign namespace")
	}
	req.Params["uids"] = "x@ns"
	if err := e.svc.Check(req); err != nil {
		t.Fatal(err)
	}
	if counting.n != 0 {
		t.Fatalf("Check ran the analyzer %d times", counting.n)
	}
}

type countingAnalyzer struct {
	fakeAnalyzer
	n int
}

func (c *countingAnalyzer) Analyze(ctx context.Context, data []byte, opt AnalyzeOptions) (*Analyzed, error) {
	c.n++
	return c.fakeAnalyzer.Analyze(ctx, data, opt)
}
