//go:build unix

package service

import "syscall"

// processCPU is the user and system CPU time the process has used, in ns: benchmarks
// report it per operation beside the wall time, which other processes on a loaded
// machine inflate.
func processCPU() int64 {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return ru.Utime.Nano() + ru.Stime.Nano()
}
