package nn

import (
	"runtime"
	"sync"
)

// ranger is work over an index range [lo, hi).
type ranger interface{ run(lo, hi int) }

// minParallelWork is the number of multiply-adds below which splitting is not worth the
// goroutine hand-off.
const minParallelWork = 1 << 19

// worthSplitting reports whether n rows of total cost work should be split across
// goroutines.
func worthSplitting(n, align, work int) bool {
	return runtime.GOMAXPROCS(0) > 1 && work >= minParallelWork && n >= 2*align
}

// parallelFor runs r over [0, n) in chunks that are multiples of align, across up to
// GOMAXPROCS goroutines (the caller's goroutine takes the first chunk).
func parallelFor(n, align int, r ranger) {
	p := runtime.GOMAXPROCS(0)
	chunks := max(1, min(p, n/align))
	per := (n/chunks + align - 1) / align * align
	var wg sync.WaitGroup
	for lo := per; lo < n; lo += per {
		wg.Add(1)
		go func(lo, hi int) {
			defer wg.Done()
			r.run(lo, hi)
		}(lo, min(lo+per, n))
	}
	r.run(0, min(per, n))
	wg.Wait()
}
