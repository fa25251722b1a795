package keyring

import (
	"errors"
	"slices"
	"testing"
)

func TestListPageWalksEveryKeyOnce(t *testing.T) {
	k, _, _ := newTestKeyring(t)
	var want, wantB []string
	for i := range 23 {
		owner := "a"
		if i%3 == 0 {
			owner = "b"
		}
		key, _, err := k.Create(CreateParams{Owner: owner, Scopes: []string{"faces/*"}}, "t")
		if err != nil {
			t.Fatal(err)
		}
		want = append(want, key.ID)
		if owner == "b" {
			wantB = append(wantB, key.ID)
		}
	}
	slices.Sort(want)
	slices.Sort(wantB)
	for _, tc := range []struct {
		owner string
		limit int
		want  []string
	}{{"", 5, want}, {"", 23, want}, {"", 1000, want}, {"b", 2, wantB}, {"nobody", 3, nil}} {
		var got []string
		after, pages := "", 0
		for {
			p, err := k.ListPage(tc.owner, after, tc.limit)
			if err != nil {
				t.Fatal(err)
			}
			pages++
			if len(p.Keys) > tc.limit {
				t.Fatalf("page of %d keys with limit %d", len(p.Keys), tc.limit)
			}
			for _, key := range p.Keys {
				got = append(got, key.ID)
			}
			if p.Next == "" {
				break
			}
			if p.Next != p.Keys[len(p.Keys)-1].ID {
				t.Fatalf("next %q is not the page's last id", p.Next)
			}
			after = p.Next
		}
		if !slices.Equal(got, tc.want) {
			t.Errorf("owner %q limit %d: walked %d keys, want %d", tc.owner, tc.limit, len(got), len(tc.want))
		}
		if wantPages := max(1, (len(tc.want)+tc.limit-1)/tc.limit); pages != wantPages {
			t.Errorf("owner %q limit %d: %d pages, want %d", tc.owner, tc.limit, pages, wantPages)
		}
	}
	for _, bad := range []struct {
		after string
		limit int
	}{{"", 0}, {"", MaxPageSize + 1}, {"not-a-key", 10}} {
		if _, err := k.ListPage("", bad.after, bad.limit); !errors.Is(err, ErrInvalid) {
			t.Errorf("ListPage(%q, %d) = %v, want ErrInvalid", bad.after, bad.limit, err)
		}
	}
}
