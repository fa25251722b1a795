package plugin

import (
	"errors"

	"github.com/facegate/facegate/policies"
)

// errNotStarted answers status calls made before Start or after Stop.
var errNotStarted = errors.New("facegate app is not started")

// PolicyStatus reports the active policy version and the last reload's
// outcome (for the admin API and the console).
func (a *App) PolicyStatus() (policies.Status, error) {
	st := a.current()
	if st == nil {
		return policies.Status{}, errNotStarted
	}
	return st.currentDecider().Status(), nil
}

// NamespaceCounts returns how many templates and how many distinct uids
// the search index holds for namespace name (0, 0 for an empty or unknown
// one).
func (a *App) NamespaceCounts(name string) (templates, uids int, err error) {
	st := a.current()
	if st == nil {
		return 0, 0, errNotStarted
	}
	return st.index.Len(name), st.index.UIDCount(name), nil
}
