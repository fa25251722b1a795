package crashtest

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	"github.com/facegate/facegate/store"
)

// Prefix starts every key Write creates.
const Prefix = "crashtest/"

type record struct {
	ID      int    `json:"id"`
	Part    string `json:"part"`
	Payload string `json:"payload"`
}

func keyA(id int) string { return fmt.Sprintf("%sa/%09d", Prefix, id) }
func keyB(id int) string { return fmt.Sprintf("%sb/%09d", Prefix, id) }

// Write commits n records from id start, each as two keys in one atomic Update, and writes
// "<id>\n" to ack after each commit returned (syncing ack when it is a file). It stops at the
// first error.
func Write(st *store.Store, ack io.Writer, start, n int) error {
	payload := strings.Repeat("x", 512)
	f, isFile := ack.(*os.File)
	for id := start; id < start+n; id++ {
		err := st.Update(func(tx *store.Tx) error {
			if err := tx.PutJSON(keyA(id), record{id, "a", payload}, 0); err != nil {
				return err
			}
			return tx.PutJSON(keyB(id), record{id, "b", payload}, 0)
		})
		if err != nil {
			return fmt.Errorf("crashtest write %d: %w", id, err)
		}
		if _, err := fmt.Fprintf(ack, "%d\n", id); err != nil {
			return fmt.Errorf("crashtest ack %d: %w", id, err)
		}
		if isFile {
			if err := f.Sync(); err != nil {
				return fmt.Errorf("crashtest ack sync: %w", err)
			}
		}
	}
	return nil
}

// Verify checks the store against the acknowledgement stream: every acknowledged id has both
// keys, and no id has only one of them. It returns how many ids were acknowledged. A last
// line cut short by the crash is ignored.
func Verify(st *store.Store, ack io.Reader) (int, error) {
	acked := map[int]bool{}
	sc := bufio.NewScanner(ack)
	for sc.Scan() {
		if id, err := strconv.Atoi(sc.Text()); err == nil {
			acked[id] = true
		}
	}
	if err := sc.Err(); err != nil {
		return 0, fmt.Errorf("crashtest: read acks: %w", err)
	}
	present := map[int]int{}
	for _, part := range []string{"a/", "b/"} {
		err := st.ScanJSON(Prefix+part, func(key string, _ []byte) error {
			id, err := strconv.Atoi(strings.TrimPrefix(key, Prefix+part))
			if err != nil {
				return fmt.Errorf("crashtest: odd key %q", key)
			}
			present[id]++
			return nil
		})
		if err != nil {
			return 0, err
		}
	}
	var errs []error
	for id := range acked {
		if present[id] != 2 {
			errs = append(errs, fmt.Errorf("acknowledged id %d lost (%d of 2 keys)", id, present[id]))
		}
	}
	for id, n := range present {
		if n != 2 {
			errs = append(errs, fmt.Errorf("id %d half written (%d of 2 keys)", id, n))
		}
	}
	if len(errs) > 5 {
		errs = append(errs[:5], fmt.Errorf("and %d more", len(errs)-5))
	}
	return len(acked), errors.Join(errs...)
}
