package admin

import (
	"fmt"
	"net/http"
	"strconv"

	"github.com/facegate/facegate/plugin"
	"github.com/facegate/facegate/plugin/keyring"
	"github.com/facegate/facegate/policies"
)

// PolicyStatuser is implemented by backends that report the policies in
// force (GET /policies); *plugin.App does.
type PolicyStatuser interface {
	PolicyStatus() (policies.Status, error)
}

// NamespaceCounter is implemented by backends that count what a namespace
// holds; GET /namespaces then adds the counts to each entry.
type NamespaceCounter interface {
	NamespaceCounts(name string) (templates, uids int, err error)
}

// NamespaceInfo is an entry of GET /namespaces: the registry entry and,
// when the backend counts them, its templates and uids.
type NamespaceInfo struct {
	keyring.Namespace
	Templates *int `json:"templates,omitempty"`
	UIDs      *int `json:"uids,omitempty"`
}

// policyStatus serves GET /policies: active version, last reload, last error.
func policyStatus(c *call, w http.ResponseWriter, _ *http.Request) {
	ps, ok := c.api.backend.(PolicyStatuser)
	if !ok {
		c.fail(w, fmt.Errorf("policy status is %w", errNotAvailable))
		return
	}
	s, err := ps.PolicyStatus()
	c.answer(w, http.StatusOK, "policies", s, err)
}

// listNamespaces serves GET /namespaces[?owner=], with template and uid
// counts when the backend has them.
func listNamespaces(c *call, w http.ResponseWriter, r *http.Request) {
	list, err := c.kr.ListNamespaces(r.URL.Query().Get("owner"))
	if err != nil {
		c.fail(w, err)
		return
	}
	counter, counts := c.api.backend.(NamespaceCounter)
	out := make([]NamespaceInfo, len(list))
	for i, ns := range list {
		out[i].Namespace = ns
		if counts {
			t, u, err := counter.NamespaceCounts(ns.Name)
			if err != nil {
				c.fail(w, err)
				return
			}
			out[i].Templates, out[i].UIDs = &t, &u
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{"namespaces": out})
}

// listKeys serves GET /keys[?owner=][&limit=n][&after=id]. With limit or
// after it answers one page ({"keys", "next"}: pass next as after for the
// following page; limit defaults to 100, at most keyring.MaxPageSize);
// without either, every key.
func listKeys(c *call, w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	owner, after, limitText := q.Get("owner"), q.Get("after"), q.Get("limit")
	if after == "" && limitText == "" {
		keys, err := c.kr.List(owner)
		if err != nil {
			c.fail(w, err)
			return
		}
		writeJSON(w, http.StatusOK, map[string]any{"keys": keys})
		return
	}
	limit := 100
	if limitText != "" {
		n, err := strconv.Atoi(limitText)
		if err != nil || n < 1 || n > keyring.MaxPageSize {
			c.fail(w, fmt.Errorf("%w: limit must be an integer from 1 to %d", errParam, keyring.MaxPageSize))
			return
		}
		limit = n
	}
	page, err := c.kr.ListPage(owner, after, limit)
	if err != nil {
		c.fail(w, err)
		return
	}
	writeJSON(w, http.StatusOK, page)
}

// Interface guards: the facegate app reports policy status and counts.
var (
	_ PolicyStatuser   = (*plugin.App)(nil)
	_ NamespaceCounter = (*plugin.App)(nil)
)
