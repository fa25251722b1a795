package store

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/facegate/facegate/store/pgtest"
)

// pgShared is the package's PostgreSQL server, started by the first test
// that needs it and stopped by TestMain.
var (
	pgOnce   sync.Once
	pgShared *pgtest.Server
	pgErr    error
)

func TestMain(m *testing.M) {
	code := m.Run()
	if pgShared != nil {
		pgShared.Close()
	}
	os.Exit(code)
}

// pgServer returns the shared server, skipping t without the binaries
// (failing when CI=true).
func pgServer(t *testing.T) *pgtest.Server {
	t.Helper()
	pgOnce.Do(func() { pgShared, pgErr = pgtest.StartServer() })
	if pgErr != nil {
		if pgShared == nil && os.Getenv("CI") != "true" {
			t.Skipf("PostgreSQL test server not available: %v (install Debian's postgresql package)", pgErr)
		}
		t.Fatalf("starting a PostgreSQL test server: %v", pgErr)
	}
	return pgShared
}

// newPGDB creates an empty database and returns its DSN.
func newPGDB(t *testing.T) string {
	t.Helper()
	dsn, err := pgServer(t).CreateDB()
	if err != nil {
		t.Fatal(err)
	}
	return dsn
}

func openPGAt(t *testing.T, dsn string, key []byte) *Store {
	t.Helper()
	s, err := Open(Options{Postgres: dsn, EncryptionKey: key, PlainPrefixes: []string{"audit/"}})
	if err != nil {
		t.Fatalf("open postgres store: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// openPG opens a store on a new, empty database.
func openPG(t *testing.T) *Store { return openPGAt(t, newPGDB(t), testKey(1)) }

func TestScanFromPages(t *testing.T) { forEachBackend(t, testScanFromPages) }

// testScanFromPages checks the order callers rely on: key pages in id order
// after a start key (tokenised keys) and the audit log newest first from a
// start (a plain prefix), on both backends alike.
func testScanFromPages(t *testing.T, open opener) {
	s := open(t)
	var ids, audit []string
	for i := range 40 {
		id := fmt.Sprintf("key/fg_%02d_%c", (i*17)%40, 'a'+rune(i%26))
		ids = append(ids, id)
		a := fmt.Sprintf("audit/%020d/%010d", 1_700_000_000_000_000_000+int64((i*7)%40)*1000, i)
		audit = append(audit, a)
		if err := s.Update(func(tx *Tx) error {
			if err := tx.PutJSON(id, i, 0); err != nil {
				return err
			}
			return tx.PutJSON(a, i, 0)
		}); err != nil {
			t.Fatal(err)
		}
	}
	sort.Strings(ids)
	sort.Strings(audit)
	read := func(prefix, start string, reverse bool, limit int) []string {
		var got []string
		if err := s.View(func(tx *Tx) error {
			return tx.ScanFrom(prefix, start, reverse, func(key string, _ []byte) error {
				if got = append(got, key); len(got) == limit {
					return ErrStop
				}
				return nil
			})
		}); err != nil {
			t.Fatal(err)
		}
		return got
	}
	tests := []struct {
		name    string
		prefix  string
		start   string
		reverse bool
		limit   int
		want    []string
	}{
		{"first page", "key/", "", false, 10, ids[:10]},
		{"page after an id", "key/", ids[9] + "\x00", false, 10, ids[10:20]},
		{"last page", "key/", ids[35] + "\x00", false, 10, ids[36:]},
		{"audit newest first", "audit/", "audit/\xff", true, 5, reversed(audit[35:])},
		{"audit from a time", "audit/", audit[12][:len("audit/")+20], false, 3, audit[12:15]},
		{"audit before a time", "audit/", audit[12], true, 2, reversed(audit[11:13])},
		{"all keys in order", "", "", false, 100, append(append([]string{}, audit...), ids...)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := read(tt.prefix, tt.start, tt.reverse, tt.limit); strings.Join(got, ",") != strings.Join(tt.want, ",") {
				t.Errorf("got  %v\nwant %v", got, tt.want)
			}
		})
	}
	n := 0
	if err := s.Stream("key/", func(key string, raw []byte) error {
		if !strings.HasPrefix(key, "key/") || len(raw) == 0 {
			t.Errorf("stream gave %q %q", key, raw)
		}
		n++
		return nil
	}); err != nil || n != len(ids) {
		t.Fatalf("stream saw %d keys (%v), want %d", n, err, len(ids))
	}
	if e := s.EstimateKeys("key/"); e < 0 {
		t.Fatalf("estimate %d", e)
	}
}

func reversed(s []string) []string {
	out := append([]string(nil), s...)
	for i, j := 0, len(out)-1; i < j; i, j = i+1, j-1 {
		out[i], out[j] = out[j], out[i]
	}
	return out
}

func TestBatch(t *testing.T) { forEachBackend(t, testBatch) }

func testBatch(t *testing.T, open opener) {
	s := open(t)
	b := s.NewBatch()
	for i := range 2500 {
		if err := b.Set(fmt.Sprintf("vec/ns/u%d/t%04d", i%3, i), []byte{byte(i)}); err != nil {
			t.Fatal(err)
		}
	}
	if err := b.Set("vec/ns/u0/t0000", []byte{9}); err != nil { // a key set twice: the last wins
		t.Fatal(err)
	}
	if err := b.Flush(); err != nil {
		t.Fatal(err)
	}
	var keys []string
	var first []byte
	if err := s.View(func(tx *Tx) error {
		var err error
		if keys, err = tx.Keys("vec/ns/"); err != nil {
			return err
		}
		first, err = tx.GetRaw("vec/ns/u0/t0000")
		return err
	}); err != nil || len(keys) != 2500 || !bytes.Equal(first, []byte{9}) {
		t.Fatalf("after the batch: %d keys, first %v, %v", len(keys), first, err)
	}
}

// TestPostgresDumpShowsNoPlaintext checks what a DBA sees: pg_dump of the
// database holds none of the labels, uids, key ids or values written.
func TestPostgresDumpShowsNoPlaintext(t *testing.T) {
	dsn := newPGDB(t)
	s := openPGAt(t, dsn, testKey(1))
	needles := []string{"alice-label-7781", "uid-bob@secret-ns", "fg_live_keyid0042", "totp-seed-JBSWY3DPEHPK3PXP", "descriptor-0.123456"}
	if err := s.Update(func(tx *Tx) error {
		for _, k := range []string{"tag/secret-ns/uid-bob@secret-ns/t1", "key/fg_live_keyid0042", "vec/secret-ns/uid-bob@secret-ns/t1", "admin/alice-label-7781"} {
			if err := tx.PutJSON(k, map[string]string{"label": "alice-label-7781", "seed": "totp-seed-JBSWY3DPEHPK3PXP", "d": "descriptor-0.123456"}, 0); err != nil {
				return err
			}
		}
		return tx.Delete("tag/secret-ns/uid-bob@secret-ns/t1") // the change log keeps deleted keys too
	}); err != nil {
		t.Fatal(err)
	}
	dump, err := pgServer(t).Dump(dsn)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(dump, []byte("facegate_kv")) {
		t.Fatalf("the dump does not hold the store's table:\n%.2000s", dump)
	}
	for _, n := range append(needles, "secret-ns", "keyid0042") {
		if bytes.Contains(dump, []byte(n)) {
			t.Errorf("%q in clear in pg_dump", n)
		}
	}
}

func TestPostgresWrongKeyRefused(t *testing.T) {
	dsn := newPGDB(t)
	s := openPGAt(t, dsn, testKey(1))
	if err := s.PutJSON("a/b", 1, 0); err != nil {
		t.Fatal(err)
	}
	other, err := Open(Options{Postgres: dsn, EncryptionKey: testKey(2)})
	if err == nil {
		other.Close()
		t.Fatal("a store with another key opened the database")
	}
	if !errors.Is(err, ErrWrongKey) || !strings.Contains(err.Error(), "different key") {
		t.Fatalf("error %v: want a clear ErrWrongKey", err)
	}
	if strings.Contains(err.Error(), dsn) {
		t.Fatalf("the error quotes the DSN: %v", err)
	}
	var v int
	if err := s.GetJSON("a/b", &v); err != nil || v != 1 {
		t.Fatalf("the first store lost its data: %d, %v", v, err)
	}
}

func TestPostgresBadDSN(t *testing.T) {
	_, err := Open(Options{Postgres: "postgres://u:hunter2@[::1", EncryptionKey: testKey(1)})
	if err == nil || strings.Contains(err.Error(), "hunter2") || !strings.Contains(err.Error(), "does not parse") {
		t.Fatalf("bad DSN: %v", err)
	}
}

// TestPostgresNodesStartTogether opens several stores at once on a new
// database: the migrations run once, under their lock, and all open.
func TestPostgresNodesStartTogether(t *testing.T) {
	dsn := newPGDB(t)
	var wg sync.WaitGroup
	errs := make([]error, 4)
	for i := range errs {
		wg.Go(func() {
			s, err := Open(Options{Postgres: dsn, EncryptionKey: testKey(1)})
			if err == nil {
				err = s.PutJSON(fmt.Sprintf("n/%d", i), i, 0)
				s.Close()
			}
			errs[i] = err
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}
	conn, err := pgx.Connect(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	var n int
	if err := conn.QueryRow(context.Background(), `SELECT count(*) FROM facegate_schema_migrations`).Scan(&n); err != nil || n != 1 {
		t.Fatalf("migrations recorded: %d, %v", n, err)
	}
}

// TestPostgresConcurrentUpdates increments one counter from two stores at
// once: serialization failures are retried, no increment is lost.
func TestPostgresConcurrentUpdates(t *testing.T) {
	dsn := newPGDB(t)
	a, b := openPGAt(t, dsn, testKey(1)), openPGAt(t, dsn, testKey(1))
	const per = 15
	var wg sync.WaitGroup
	var failed sync.Map
	for i := range 4 {
		s := []*Store{a, b}[i%2]
		wg.Go(func() {
			for range per {
				if err := s.Update(func(tx *Tx) error {
					var n int
					if err := tx.GetJSON("counter", &n); err != nil && !errors.Is(err, ErrNotFound) {
						return err
					}
					return tx.PutJSON("counter", n+1, 0)
				}); err != nil {
					failed.Store(i, err)
				}
			}
		})
	}
	wg.Wait()
	failed.Range(func(k, v any) bool { t.Errorf("writer %v: %v", k, v); return true })
	var n int
	if err := a.GetJSON("counter", &n); err != nil || n != 4*per {
		t.Fatalf("counter = %d, %v; want %d", n, err, 4*per)
	}
}

// changes collects what a watcher receives.
type changes struct {
	mu  sync.Mutex
	got []Change
}

func (c *changes) add(ch Change) { c.mu.Lock(); c.got = append(c.got, ch); c.mu.Unlock() }

// waitFor waits up to 5 s for a change with key (or a resync) and returns
// how long it took.
func (c *changes) waitFor(t *testing.T, key string, resync bool) time.Duration {
	t.Helper()
	start := time.Now()
	for time.Since(start) < 5*time.Second {
		c.mu.Lock()
		for _, ch := range c.got {
			if ch.Key == key && ch.Resync == resync {
				c.mu.Unlock()
				return time.Since(start)
			}
		}
		c.mu.Unlock()
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("no change %q (resync %v) within 5 s; got %v", key, resync, c.got)
	return 0
}

func TestPostgresChangeFeed(t *testing.T) {
	dsn := newPGDB(t)
	a, b := openPGAt(t, dsn, testKey(1)), openPGAt(t, dsn, testKey(1))
	var onA, onB changes
	a.Watch("vec/", onA.add)
	stop := b.Watch("vec/", onB.add)
	if err := a.Update(func(tx *Tx) error {
		if err := tx.PutRaw("vec/ns/u/t1", []byte{1}, 0); err != nil {
			return err
		}
		return tx.PutJSON("other/x", 1, 0)
	}); err != nil {
		t.Fatal(err)
	}
	onB.waitFor(t, "vec/ns/u/t1", false)
	if err := a.Delete("vec/ns/u/t1"); err != nil {
		t.Fatal(err)
	}
	for end := time.Now().Add(5 * time.Second); time.Now().Before(end); time.Sleep(10 * time.Millisecond) {
		onB.mu.Lock()
		n := len(onB.got)
		onB.mu.Unlock()
		if n >= 2 {
			break
		}
	}
	time.Sleep(100 * time.Millisecond) // room for a change reported twice (it must not be)
	onB.mu.Lock()
	n := len(onB.got)
	for _, ch := range onB.got {
		if ch.Key == "other/x" {
			t.Errorf("a change outside the watched prefix was reported")
		}
	}
	onB.mu.Unlock()
	if n != 2 {
		t.Errorf("b saw %d changes, want 2 (write, delete)", n)
	}
	onA.mu.Lock()
	if len(onA.got) != 0 {
		t.Errorf("a was told about its own writes: %v", onA.got)
	}
	onA.mu.Unlock()

	t.Run("reconnect catches up", func(t *testing.T) {
		conn, err := pgx.Connect(context.Background(), dsn)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close(context.Background())
		// Cut every listening connection, then write while they are gone.
		var cut int
		if err := conn.QueryRow(context.Background(), `SELECT count(*) FILTER (WHERE pg_terminate_backend(pid)) FROM pg_stat_activity
			WHERE application_name = $1 AND datname = current_database()`, pgFeedAppName).Scan(&cut); err != nil || cut != 2 {
			t.Fatalf("cut %d feed connections (%v), want both stores'", cut, err)
		}
		if err := a.PutJSON("vec/ns/u/t2", 2, 0); err != nil {
			t.Fatal(err)
		}
		onB.waitFor(t, "vec/ns/u/t2", false)
	})
	t.Run("pruned log resyncs", func(t *testing.T) {
		conn, err := pgx.Connect(context.Background(), dsn)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close(context.Background())
		if _, err := conn.Exec(context.Background(), `UPDATE facegate_feed SET pruned_through = 1000000`); err != nil {
			t.Fatal(err)
		}
		onB.waitFor(t, "vec/", true)
	})
	stop()
}

// TestPostgresUnavailable stops the server: calls fail fast with
// ErrUnavailable (no hang), and work again once it is back.
func TestPostgresUnavailable(t *testing.T) {
	srv := pgtest.Start(t)
	dsn, err := srv.CreateDB()
	if err != nil {
		t.Fatal(err)
	}
	s := openPGAt(t, dsn, testKey(1))
	if err := s.PutJSON("k/1", 1, 0); err != nil {
		t.Fatal(err)
	}
	if err := srv.Stop(); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	err = s.PutJSON("k/2", 2, 0)
	if !errors.Is(err, ErrUnavailable) {
		t.Fatalf("write with the server down: %v, want ErrUnavailable", err)
	}
	var v int
	if err := s.GetJSON("k/1", &v); !errors.Is(err, ErrUnavailable) {
		t.Fatalf("read with the server down: %v, want ErrUnavailable", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	if err := s.Ping(ctx); !errors.Is(err, ErrUnavailable) {
		t.Fatalf("ping with the server down: %v, want ErrUnavailable", err)
	}
	if d := time.Since(start); d > 2*pgTxTimeout {
		t.Fatalf("failing took %v", d)
	}
	if err := srv.StartAgain(); err != nil {
		t.Fatal(err)
	}
	if err := s.PutJSON("k/2", 2, 0); err != nil {
		t.Fatalf("write after the server returned: %v", err)
	}
	if err := s.GetJSON("k/1", &v); err != nil || v != 1 {
		t.Fatalf("read after the server returned: %d, %v", v, err)
	}
	if err := s.Ping(context.Background()); err != nil {
		t.Fatalf("ping after the server returned: %v", err)
	}
}

// TestPostgresBatchSplitsOnTimeout checks that a bulk write whose
// transaction runs out of time is split down to the row that cannot be
// written: the rows before it are written, that row keeps its value, and
// the error says the attempt timed out.
func TestPostgresBatchSplitsOnTimeout(t *testing.T) {
	dsn := newPGDB(t)
	s := openPGAt(t, dsn, testKey(1))
	pb := s.be.(*pgBackend)
	pb.txTimeout = 300 * time.Millisecond
	if err := s.Update(func(tx *Tx) error { return tx.PutRaw("bulk/3", []byte("old"), 0) }); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	lock, err := conn.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer lock.Rollback(ctx) //nolint:errcheck // the test's end
	var one int
	if err := lock.QueryRow(ctx, `SELECT 1 FROM facegate_kv WHERE k = $1 FOR UPDATE`, pb.c.rowKey("bulk/3")).Scan(&one); err != nil {
		t.Fatalf("locking the row: %v", err)
	}
	b := s.NewBatch()
	for i := range 8 {
		if err := b.Set(fmt.Sprintf("bulk/%d", i), []byte("new")); err != nil {
			t.Fatal(err)
		}
	}
	err = b.Flush()
	if err == nil || !timedOut(err) {
		t.Fatalf("flush with a locked row: %v, want a timeout", err)
	}
	if err := lock.Rollback(ctx); err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"bulk/0": "new", "bulk/1": "new", "bulk/2": "new", "bulk/3": "old"}
	if err := s.View(func(tx *Tx) error {
		keys, err := tx.Keys("bulk/")
		if err != nil {
			return err
		}
		if len(keys) != len(want) {
			return fmt.Errorf("keys %v, want those of %v", keys, want)
		}
		for k, v := range want {
			got, err := tx.GetRaw(k)
			if err != nil || string(got) != v {
				return fmt.Errorf("%s = %q (%v), want %q", k, got, err, v)
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
}
