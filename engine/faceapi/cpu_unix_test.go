//go:build unix

package faceapi

import (
	"syscall"
	"time"
)

// processCPU returns the CPU time (user + system) the process has used so far; on a
// shared, loaded machine it measures the work done where wall time does not.
func processCPU() (time.Duration, bool) {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0, false
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()), true
}
