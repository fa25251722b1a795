package store

import "time"

// Progress describes long work over a store's entries under way (or just
// finished): a copy (CopyWithProgress) or the template index's load
// (engine/index).
type Progress struct {
	// Done is how many entries have been handled so far.
	Done int
	// Estimate is the store's estimate of the entries to handle (EstimateKeys:
	// with Badger the keys of the on-disk tables whose range overlaps the
	// prefix, other keys and older versions included, recent writes still in
	// memory not), never below Done. It is for the ETA only.
	Estimate int
	// Elapsed is the time since the work started.
	Elapsed time.Duration
}

// Rate is the entries handled per second so far (0 before any time passed).
func (p Progress) Rate() float64 {
	if p.Elapsed <= 0 {
		return 0
	}
	return float64(p.Done) / p.Elapsed.Seconds()
}

// ETA is the time left at the rate so far to reach the estimate (0 when
// there is no rate yet or the estimate is reached).
func (p Progress) ETA() time.Duration {
	r := p.Rate()
	if r <= 0 || p.Estimate <= p.Done {
		return 0
	}
	return time.Duration(float64(p.Estimate-p.Done) / r * float64(time.Second))
}
