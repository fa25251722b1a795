package service

import (
	"encoding/hex"
	"fmt"
	"io"
	"math"
	"strconv"
)

// newPID returns a photo id "F@<32 hex>_<13 hex>".
func (s *Service) newPID() (string, error) {
	var b [16]byte
	if _, err := io.ReadFull(s.opts.Rand, b[:]); err != nil {
		return "", fmt.Errorf("random pid: %w", err)
	}
	return "F@" + hex.EncodeToString(b[:]) + "_" + s.stamp(), nil
}

// tempTID returns a temporary tid "TEMP_<pid>_<cx>_<cy>_<n>_1".
func tempTID(pid string, f *Face, n int) string {
	return fmt.Sprintf("TEMP_%s_%.2f_%.2f_%d_1", pid, round2(f.CenterX), round2(f.CenterY), n)
}

// newTID returns a saved tid "<8 hex>_<13 hex>".
func (s *Service) newTID() (string, error) {
	var b [4]byte
	if _, err := io.ReadFull(s.opts.Rand, b[:]); err != nil {
		return "", fmt.Errorf("random tid: %w", err)
	}
	return hex.EncodeToString(b[:]) + "_" + s.stamp(), nil
}

// stamp is the current time in milliseconds as 13 hex digits.
func (s *Service) stamp() string {
	ms := s.opts.Now().UnixMilli()
	h := strconv.FormatInt(ms, 16)
	for len(h) < 13 {
		h = "0" + h
	}
	return h
}

func round2(x float64) float64 {
	if math.IsNaN(x) || math.IsInf(x, 0) {
		return 0
	}
	return math.Round(x*100) / 100
}
