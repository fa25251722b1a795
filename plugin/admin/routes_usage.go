package admin

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/facegate/facegate/plugin"
	"github.com/facegate/facegate/plugin/internal/usage"
)

// UsageReporter is implemented by backends that record per-key usage
// (GET /usage); *plugin.App does.
type UsageReporter interface {
	Usage(q usage.Query) (usage.Report, error)
}

// IndexStatuser is implemented by backends that report the template index
// and the store (GET /status); *plugin.App does.
type IndexStatuser interface {
	IndexStatus() (plugin.IndexStatus, error)
}

// getUsage serves GET /usage[?key=][&route=][&since=][&until=][&step=]:
// requests, images, denials by reason and latency per interval for one key
// or all, one route or all, over the last 24 h at most. since and until
// are RFC 3339 or unix seconds; step is a duration in whole minutes
// ("5m", "1h") or seconds ("300"), default one minute.
func getUsage(c *call, w http.ResponseWriter, r *http.Request) {
	ur, ok := c.api.backend.(UsageReporter)
	if !ok {
		c.fail(w, fmt.Errorf("usage is %w", errNotAvailable))
		return
	}
	q, err := usageQuery(r)
	if err != nil {
		c.fail(w, err)
		return
	}
	rep, err := ur.Usage(q)
	if errors.Is(err, usage.ErrQuery) {
		c.fail(w, fmt.Errorf("%w: %w", errParam, err))
		return
	}
	c.answer(w, http.StatusOK, "usage", rep, err)
}

// usageQuery reads GET /usage's parameters.
func usageQuery(r *http.Request) (usage.Query, error) {
	v := r.URL.Query()
	q := usage.Query{Key: v.Get("key"), Route: v.Get("route")}
	if len(q.Key) > 128 || len(q.Route) > 128 {
		return q, fmt.Errorf("%w: key and route are at most 128 bytes", errParam)
	}
	for name, dst := range map[string]*time.Time{"since": &q.Since, "until": &q.Until} {
		if s := v.Get(name); s != "" {
			t, err := parseTime(s)
			if err != nil {
				return q, fmt.Errorf("%w: %s must be RFC 3339 or unix seconds", errParam, name)
			}
			*dst = t
		}
	}
	if s := v.Get("step"); s != "" {
		d, err := time.ParseDuration(s)
		if n, nerr := strconv.Atoi(s); nerr == nil {
			d, err = time.Duration(n)*time.Second, nil
		}
		if err != nil {
			return q, fmt.Errorf("%w: step must be a duration such as 5m or a number of seconds", errParam)
		}
		q.Step = d
	}
	return q, nil
}

// serverStatus serves GET /status: the template index (what it holds, how
// its last rebuild went), the store's size and the policies in force.
func serverStatus(c *call, w http.ResponseWriter, _ *http.Request) {
	is, ok := c.api.backend.(IndexStatuser)
	if !ok {
		c.fail(w, fmt.Errorf("server status is %w", errNotAvailable))
		return
	}
	s, err := is.IndexStatus()
	if err != nil {
		c.fail(w, err)
		return
	}
	out := map[string]any{"index": s}
	if ps, ok := c.api.backend.(PolicyStatuser); ok {
		if p, err := ps.PolicyStatus(); err == nil {
			out["policies"] = p
		}
	}
	writeJSON(w, http.StatusOK, out)
}

// Interface guards: the facegate app reports usage and its index.
var (
	_ UsageReporter = (*plugin.App)(nil)
	_ IndexStatuser = (*plugin.App)(nil)
)
