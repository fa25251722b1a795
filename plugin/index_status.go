package plugin

// IndexStatus is the template index and the store as the admin API's GET
// /status reports them: what the index holds now and how its last rebuild
// from the store went (the rebuild runs at start-up, before the server
// answers; its progress is logged every 5 s while it runs).
type IndexStatus struct {
	Namespaces int `json:"namespaces"`
	Templates  int `json:"templates"`
	// Rebuild is the last rebuild: templates read, Badger's estimate,
	// how long it took and its rate.
	Rebuild struct {
		Templates int     `json:"templates"`
		Estimate  int     `json:"estimated_total"`
		TookMS    float64 `json:"took_ms"`
		PerSecond float64 `json:"per_second"`
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
	s.Namespaces, s.Templates = st.index.Stats()
	last := st.index.LastLoad()
	s.Rebuild.Templates, s.Rebuild.Estimate = last.Loaded, last.Estimate
	s.Rebuild.TookMS = float64(last.Elapsed.Microseconds()) / 1000
	s.Rebuild.PerSecond = float64(int64(last.Rate()))
	s.StoreLSMBytes, s.StoreVlogBytes = st.store.Size()
	return s, nil
}
