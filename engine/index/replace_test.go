package index

import (
	"math/rand/v2"
	"testing"
)

func TestReplaceWith(t *testing.T) {
	r := rand.New(rand.NewPCG(4, 4))
	x, y := New(), New()
	x.Add("old", "u1", "t1", randVec(r))
	v := randVec(r)
	y.Add("new", "u2", "t2", v)
	y.Add("new", "u3", "t3", randVec(r))
	x.ReplaceWith(y)
	if x.Len("old") != 0 || x.Len("new") != 2 {
		t.Fatalf("after ReplaceWith: old %d, new %d templates", x.Len("old"), x.Len("new"))
	}
	if m := x.Search("new", v, 1, nil); len(m) != 1 || m[0].UID != "u2" {
		t.Fatalf("search after ReplaceWith: %+v", m)
	}
	if y.Len("new") != 0 {
		t.Fatalf("y still holds %d templates", y.Len("new"))
	}
}
