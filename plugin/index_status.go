package plugin

// IndexStatus is the template index and the store as the admin API's GET
// /status reports them: what the index holds now and how its load from the
// store goes or went. facegate serves while the index loads (index_load.go):
// State is then "building" and Rebuild the load so far, refreshed about
// every 250 ms; its progress is also logged every 5 s.
type IndexStatus struct {
	// State is "ready", "building" (loading from the store) or "failed"
	// (the load failed: see the log; a restart retries).
	State      string `json:"state"`
	Namespaces int    `json:"namespaces"`
	Templates  int    `json:"templates"`
	// Rebuild is the running or last load: templates read, Badger's
	// estimate of the total, how long it took (so far), its rate and, while
	// it runs, the time left at that rate.
	Rebuild struct {
		Templates  int     `json:"templates"`
		Estimate   int     `json:"estimated_total"`
		TookMS     float64 `json:"took_ms"`
		PerSecond  float64 `json:"per_second"`
		ETASeconds float64 `json:"eta_s"`
	} `json:"rebuild"`
	StoreLSMBytes  int64 `json:"store_lsm_bytes"`
	StoreVlogBytes int64 `json:"store_vlog_bytes"`
}

// IndexStatus reports the index and the store.
func (a *App) IndexStatus() (IndexStatus, error) {
	var s IndexStatus
	st := a.current()
	if st == nil || st.index == nil || st.store == nil {
		return s, errNotStarted
	}
	s.State = st.indexState()
	if s.State == "ok" {
		s.State = "ready"
	}
	s.Namespaces, s.Templates = st.index.Stats()
	p, running := st.indexProgress()
	s.Rebuild.Templates, s.Rebuild.Estimate = p.Done, p.Estimate
	s.Rebuild.TookMS = float64(p.Elapsed.Microseconds()) / 1000
	s.Rebuild.PerSecond = float64(int64(p.Rate()))
	if running {
		s.Rebuild.ETASeconds = float64(int64(p.ETA().Seconds()))
	}
	s.StoreLSMBytes, s.StoreVlogBytes = st.store.Size()
	return s, nil
}
