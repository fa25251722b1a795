package crashtest

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/facegate/facegate/store"
)

var key = bytes.Repeat([]byte{5}, store.KeySize)

// TestMain turns the test binary into the writer child when asked to.
func TestMain(m *testing.M) {
	if dir := os.Getenv("FACEGATE_CRASHTEST_DIR"); dir != "" {
		start, _ := strconv.Atoi(os.Getenv("FACEGATE_CRASHTEST_START"))
		st, err := store.Open(store.DefaultOptions(filepath.Join(dir, "db"), key))
		if err != nil {
			os.Stderr.WriteString(err.Error())
			os.Exit(3)
		}
		ack, err := os.OpenFile(filepath.Join(dir, "acks"), os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o600)
		if err != nil {
			os.Exit(3)
		}
		os.Stdout.WriteString("ready\n")
		Write(st, ack, start, 1_000_000) // runs until killed
		os.Exit(4)
	}
	os.Exit(m.Run())
}

func TestKill9KeepsAcknowledgedWrites(t *testing.T) {
	if testing.Short() {
		t.Skip("spawns processes")
	}
	dir := t.TempDir()
	start, prev := 0, 0
	for round := range 3 {
		cmd := exec.Command(os.Args[0], "-test.run=^$")
		cmd.Env = append(os.Environ(), "FACEGATE_CRASHTEST_DIR="+dir, "FACEGATE_CRASHTEST_START="+strconv.Itoa(start))
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		deadline := time.Now().Add(20 * time.Second)
		for !strings.Contains(out.String(), "ready") && time.Now().Before(deadline) {
			time.Sleep(10 * time.Millisecond)
		}
		time.Sleep(time.Duration(300+200*round) * time.Millisecond)
		if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
			t.Fatal(err)
		}
		cmd.Wait()

		st, err := store.Open(store.DefaultOptions(filepath.Join(dir, "db"), key))
		if err != nil {
			t.Fatalf("round %d: reopen after kill -9: %v (child said %q)", round, err, out.String())
		}
		ack, err := os.Open(filepath.Join(dir, "acks"))
		if err != nil {
			st.Close()
			t.Fatalf("round %d: no acks written (child said %q)", round, out.String())
		}
		n, err := Verify(st, ack)
		ack.Close()
		st.Close()
		if err != nil {
			t.Fatalf("round %d: %v", round, err)
		}
		if n <= prev {
			t.Fatalf("round %d: child acknowledged nothing new (%d ids)", round, n)
		}
		t.Logf("round %d: %d acknowledged ids intact", round, n)
		prev = n
		start += 1_000_000 // ids of the next round never collide with a lost unacknowledged one
	}
}

func TestVerifyDetectsLossAndHalfWrites(t *testing.T) {
	st, err := store.Open(store.Options{InMemory: true, EncryptionKey: key})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	var ack bytes.Buffer
	if err := Write(st, &ack, 0, 3); err != nil {
		t.Fatal(err)
	}
	if n, err := Verify(st, bytes.NewReader(ack.Bytes())); err != nil || n != 3 {
		t.Fatalf("clean store: %d, %v", n, err)
	}
	tests := []struct {
		name string
		do   func() error
		acks string
		want string
	}{
		{"lost write", func() error { return nil }, "7\n", "acknowledged id 7 lost"},
		{"half write", func() error { return st.Delete(keyB(1)) }, "", "id 1 half written"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.do(); err != nil {
				t.Fatal(err)
			}
			_, err := Verify(st, strings.NewReader(ack.String()+tt.acks))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Verify = %v, want %q", err, tt.want)
			}
		})
	}
}
