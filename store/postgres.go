package store

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	mrand "math/rand/v2"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"go.uber.org/zap"
)

const (
	// pgTxTimeout bounds one transaction attempt, so that a lost database
	// turns into an error instead of a hang.
	pgTxTimeout = 10 * time.Second
	// pgConnectTimeout bounds opening one connection.
	pgConnectTimeout = 3 * time.Second
	// pgScanChunk is how many rows an ordered scan of a plain prefix reads
	// per query.
	pgScanChunk = 256
	// pgMinConns is the smallest connection pool a node keeps (unless the
	// DSN's pool_max_conns says otherwise).
	pgMinConns = 16
	// pgMaxRetries bounds how often Update re-runs a transaction that lost a
	// serialization conflict.
	pgMaxRetries = 40
	// pgFeedLock serialises the change log's sequence numbers with commits;
	// pgMigrateLock serialises schema migrations across starting nodes.
	pgFeedLock    = 0x66676665 // "fgfe"
	pgMigrateLock = 0x66676d67 // "fgmg"
	// pgNotifyChannel is the LISTEN/NOTIFY channel of the change feed.
	pgNotifyChannel = "facegate_kv"
	// pgFeedAppName names the change feed's connection in pg_stat_activity.
	pgFeedAppName = "facegate change feed"
)

// pgBackend is the store on PostgreSQL (see migrations/ for the schema).
type pgBackend struct {
	pool   *pgxpool.Pool
	c      *pgCrypto
	node   string // this Store's id in the change log
	log    *zap.Logger
	isShut atomic.Bool
	feed   *pgFeed
	cancel context.CancelFunc
	wg     sync.WaitGroup
	// txTimeout bounds one transaction attempt (pgTxTimeout; tests lower it).
	txTimeout time.Duration
}

// openPostgres connects, migrates the schema, checks the key and starts the
// change feed and the sweeper of expired rows.
func openPostgres(opts Options) (*pgBackend, error) {
	cfg, err := pgxpool.ParseConfig(opts.Postgres)
	if err != nil {
		// pgx's message may quote the DSN, which may hold a password.
		return nil, errors.New("open store: the postgres DSN does not parse (want postgres://user:password@host:port/db or key=value pairs)")
	}
	cfg.ConnConfig.ConnectTimeout = pgConnectTimeout
	cfg.HealthCheckPeriod = 5 * time.Second
	if !strings.Contains(opts.Postgres, "pool_max_conns") {
		// pgx's default (4 on 2 cores) would queue concurrent requests
		// behind a few slow commits.
		cfg.MaxConns = max(cfg.MaxConns, pgMinConns)
	}
	c, err := newPGCrypto(opts.EncryptionKey, opts.PlainPrefixes)
	if err != nil {
		return nil, fmt.Errorf("open store: %w", err)
	}
	log := opts.Logger
	if log == nil {
		log = zap.NewNop()
	}
	var id [8]byte
	_, _ = rand.Read(id[:])
	p := &pgBackend{c: c, node: hex.EncodeToString(id[:]), log: log.Named("store.postgres"), txTimeout: pgTxTimeout}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if p.pool, err = pgxpool.NewWithConfig(ctx, cfg); err != nil {
		return nil, fmt.Errorf("open store: postgres %s: %w", pgHost(cfg), unavailable(err))
	}
	if err := p.pool.Ping(ctx); err != nil {
		p.pool.Close()
		return nil, fmt.Errorf("open store: postgres %s does not answer: %w", pgHost(cfg), unavailable(err))
	}
	if err := p.migrate(ctx); err != nil {
		p.pool.Close()
		return nil, fmt.Errorf("open store: %w", err)
	}
	if err := p.checkKey(ctx); err != nil {
		p.pool.Close()
		return nil, err
	}
	var last int64
	if err := p.pool.QueryRow(ctx, `SELECT coalesce(max(seq), 0) FROM facegate_changes`).Scan(&last); err != nil {
		p.pool.Close()
		return nil, fmt.Errorf("open store: reading the change log: %w", unavailable(err))
	}
	runCtx, runCancel := context.WithCancel(context.Background())
	p.cancel = runCancel
	feedCfg := cfg.ConnConfig.Copy()
	feedCfg.RuntimeParams["application_name"] = pgFeedAppName
	p.feed = newPGFeed(p, feedCfg, last)
	p.wg.Go(func() { p.feed.run(runCtx) })
	p.wg.Go(func() { p.sweep(runCtx) })
	return p, nil
}

// pgHost names the server for messages (never the password).
func pgHost(cfg *pgxpool.Config) string {
	return fmt.Sprintf("%s:%d/%s", cfg.ConnConfig.Host, cfg.ConnConfig.Port, cfg.ConnConfig.Database)
}

// keyCheckText is sealed in the key-check row by the first node; a node with
// another key cannot open it.
const keyCheckText = "facegate store key check v1"

// checkKey refuses a store key that is not the cluster's (ErrWrongKey).
func (p *pgBackend) checkKey(ctx context.Context) error {
	row := []byte("key_check")
	sealed := p.c.seal("meta", row, "key_check", []byte(keyCheckText))
	if _, err := p.pool.Exec(ctx, `INSERT INTO facegate_meta (name, v) VALUES ('key_check', $1) ON CONFLICT (name) DO NOTHING`, sealed); err != nil {
		return fmt.Errorf("open store: writing the key check: %w", unavailable(err))
	}
	var got []byte
	if err := p.pool.QueryRow(ctx, `SELECT v FROM facegate_meta WHERE name = 'key_check'`).Scan(&got); err != nil {
		return fmt.Errorf("open store: reading the key check: %w", unavailable(err))
	}
	if _, v, err := p.c.open("meta", row, got); err != nil || string(v) != keyCheckText {
		return fmt.Errorf("open store: the PostgreSQL database was encrypted with a different key (this node's key file is not the cluster's): %w", ErrWrongKey)
	}
	return nil
}

// unavailable marks an error that did not come from the server's SQL (a lost
// or refused connection, a timeout) with ErrUnavailable.
func unavailable(err error) error {
	if err == nil {
		return nil
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) && !strings.HasPrefix(pe.Code, "08") && !strings.HasPrefix(pe.Code, "57P") {
		return err
	}
	if errors.Is(err, ErrUnavailable) {
		return err
	}
	return fmt.Errorf("%w: %w", ErrUnavailable, err)
}

// retryable reports a serialization failure or deadlock: the transaction
// can run again.
func retryable(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && (pe.Code == "40001" || pe.Code == "40P01")
}

func (p *pgBackend) update(fn func(txBackend) error) error {
	var err error
	for attempt := range pgMaxRetries {
		err = p.updateOnce(fn)
		if err == nil || !(retryable(err) || attempt == 0 && errors.Is(err, errBeginRetry)) {
			return err
		}
		// Back off a random while that grows, so that writers racing for one
		// row stop colliding.
		time.Sleep(time.Duration(mrand.Int64N(int64(attempt+1) * int64(2*time.Millisecond))))
	}
	return fmt.Errorf("update: gave up after %d conflicts: %w", pgMaxRetries, err)
}

// errBeginRetry marks a transaction that failed to start on a pooled
// connection that had died (the server restarted): one more try gets a new one.
var errBeginRetry = errors.New("begin failed")

func (p *pgBackend) begin(ctx context.Context, o pgx.TxOptions) (pgx.Tx, error) {
	if p.isShut.Load() {
		return nil, errors.New("store is closed")
	}
	tx, err := p.pool.BeginTx(ctx, o)
	if err != nil {
		return nil, fmt.Errorf("begin: %w (%w)", unavailable(err), errBeginRetry)
	}
	return tx, nil
}

func (p *pgBackend) updateOnce(fn func(txBackend) error) error {
	ctx, cancel := context.WithTimeout(context.Background(), p.txTimeout)
	defer cancel()
	tx, err := p.begin(ctx, pgx.TxOptions{IsoLevel: pgx.Serializable})
	if err != nil {
		return err
	}
	defer tx.Rollback(context.Background()) //nolint:errcheck // a no-op after Commit
	t := &pgTx{p: p, ctx: ctx, tx: tx, writes: map[string]string{}}
	if err := fn(t); err != nil {
		return err
	}
	if len(t.writes) > 0 {
		rows := make([][]byte, 0, len(t.writes))
		pks := make([][]byte, 0, len(t.writes))
		for row, key := range t.writes {
			rows = append(rows, []byte(row))
			pks = append(pks, p.c.seal("change", []byte(row), key, nil))
		}
		b := &pgx.Batch{}
		b.Queue(`SELECT pg_advisory_xact_lock($1)`, int64(pgFeedLock))
		b.Queue(`INSERT INTO facegate_changes (seq, node, k, pk)
			SELECT nextval('facegate_changes_seq'), $1, u.k, u.pk FROM unnest($2::bytea[], $3::bytea[]) AS u(k, pk)`, p.node, rows, pks)
		b.Queue(`SELECT pg_notify($1, '')`, pgNotifyChannel)
		if err := tx.SendBatch(ctx, b).Close(); err != nil {
			return fmt.Errorf("update: recording the change: %w", unavailable(err))
		}
	}
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("update: commit: %w", unavailable(err))
	}
	return nil
}

func (p *pgBackend) view(fn func(txBackend) error) error {
	ctx, cancel := context.WithTimeout(context.Background(), pgTxTimeout)
	defer cancel()
	tx, err := p.begin(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly})
	if errors.Is(err, errBeginRetry) {
		tx, err = p.begin(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly})
	}
	if err != nil {
		return err
	}
	defer tx.Rollback(context.Background()) //nolint:errcheck // read-only
	return fn(&pgTx{p: p, ctx: ctx, tx: tx})
}

// putMany writes items in one transaction. A batch whose transaction runs
// out of time (a loaded server, a lock held by another writer) is split in
// halves, each written on its own, down to single rows: a bulk load goes on
// at the pace the server allows, and only a row that cannot be written in
// txTimeout fails. Rows a timed-out attempt may have committed are written
// again with the same values.
func (p *pgBackend) putMany(items []kvItem) error {
	err := p.putBatch(items)
	if err == nil || len(items) < 2 || !timedOut(err) || p.isShut.Load() {
		return err
	}
	half := len(items) / 2
	if err := p.putMany(items[:half]); err != nil {
		return err
	}
	return p.putMany(items[half:])
}

// timedOut reports an attempt that ran out of time: the context's deadline
// on the client's side, or the server cancelling the statement for it.
func timedOut(err error) bool {
	var pe *pgconn.PgError
	return pgconn.Timeout(err) || errors.Is(err, context.DeadlineExceeded) ||
		errors.As(err, &pe) && pe.Code == "57014"
}

func (p *pgBackend) putBatch(items []kvItem) error {
	last := make(map[string]int, len(items)) // one row may be written once per statement
	for i, it := range items {
		last[it.key] = i
	}
	var rows, vals [][]byte
	var exps []int64
	return p.update(func(t txBackend) error {
		pt := t.(*pgTx)
		rows, vals, exps = rows[:0], vals[:0], exps[:0]
		for i, it := range items {
			if last[it.key] != i {
				continue
			}
			row := p.c.rowKey(it.key)
			rows = append(rows, row)
			vals = append(vals, p.c.seal("kv", row, it.key, it.raw))
			exps = append(exps, it.expires)
			pt.writes[string(row)] = it.key
		}
		_, err := pt.tx.Exec(pt.ctx, `INSERT INTO facegate_kv (k, v, expires_at)
			SELECT u.k, u.v, CASE WHEN u.e > 0 THEN to_timestamp(u.e) END FROM unnest($1::bytea[], $2::bytea[], $3::bigint[]) AS u(k, v, e)
			ON CONFLICT (k) DO UPDATE SET v = excluded.v, expires_at = excluded.expires_at`, rows, vals, exps)
		if err != nil {
			return fmt.Errorf("put %d rows: %w", len(items), unavailable(err))
		}
		return nil
	})
}

func (p *pgBackend) deletePrefix(prefix string) (int, error) {
	if lo, hi, exact, _ := p.rowRange(prefix); exact {
		return p.deleteRange(prefix, lo, hi)
	}
	total := 0
	for {
		n := 0
		err := p.update(func(t txBackend) error {
			n = 0
			var keys []string
			err := t.scan(prefix, "", false, false, func(key string, _ []byte) error {
				keys = append(keys, key)
				if len(keys) == deleteBatch {
					return ErrStop
				}
				return nil
			})
			if err != nil {
				return err
			}
			for _, k := range keys {
				if err := t.del(k); err != nil {
					return err
				}
			}
			n = len(keys)
			return nil
		})
		if err != nil {
			return total, fmt.Errorf("delete prefix %q: %w", prefix, err)
		}
		total += n
		if n < deleteBatch {
			return total, nil
		}
	}
}

// deleteRange deletes the rows of a prefix that ends on a segment boundary
// (all of [lo, hi)) in the database, deleteBatch rows per transaction, and
// records their plain keys (from the sealed values) in the change log.
func (p *pgBackend) deleteRange(prefix string, lo, hi []byte) (int, error) {
	total := 0
	for {
		n, live := 0, 0
		err := p.update(func(t txBackend) error {
			pt := t.(*pgTx)
			n, live = 0, 0
			rows, err := pt.tx.Query(pt.ctx, `DELETE FROM facegate_kv WHERE k IN
				(SELECT k FROM facegate_kv WHERE k >= $1 AND ($2::bytea IS NULL OR k < $2) LIMIT $3)
				RETURNING k, v, (expires_at IS NULL OR expires_at > now())`, lo, hi, deleteBatch)
			if err != nil {
				return unavailable(err)
			}
			defer rows.Close()
			var row, sealed []byte
			var alive bool
			for rows.Next() {
				if err := rows.Scan(&row, &sealed, &alive); err != nil {
					return unavailable(err)
				}
				key, _, err := p.c.open("kv", row, sealed)
				if err != nil {
					return err
				}
				pt.writes[string(row)] = key
				n++
				if alive {
					live++
				}
			}
			return unavailable(rows.Err())
		})
		if err != nil {
			return total, fmt.Errorf("delete prefix %q: %w", prefix, err)
		}
		total += live
		if n < deleteBatch {
			return total, nil
		}
	}
}

// rowRange is the row-key range [lo, hi) of prefix (hi nil: unbounded).
func (p *pgBackend) rowRange(prefix string) (lo, hi []byte, exact, ordered bool) {
	lo, exact, ordered = p.c.rowPrefix(prefix)
	if lo == nil {
		lo = []byte{} // NULL would match nothing
	}
	if len(lo) > 0 {
		if e := prefixEnd(string(lo)); e != "" {
			hi = []byte(e)
		}
	}
	return lo, hi, exact, ordered
}

func (p *pgBackend) stream(prefix string, fn func(key string, raw []byte, expires int64) error) error {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	lo, hi, _, _ := p.rowRange(prefix)
	rows, err := p.pool.Query(ctx, `SELECT k, v, coalesce(ceil(extract(epoch FROM expires_at))::bigint, 0) FROM facegate_kv
		WHERE k >= $1 AND ($2::bytea IS NULL OR k < $2) AND (expires_at IS NULL OR expires_at > now())`, lo, hi)
	if err != nil {
		return unavailable(err)
	}
	defer rows.Close()
	var row, sealed []byte
	var expires int64
	for rows.Next() {
		if err := rows.Scan(&row, &sealed, &expires); err != nil {
			return unavailable(err)
		}
		key, raw, err := p.c.open("kv", row, sealed)
		if err != nil {
			return err
		}
		if !strings.HasPrefix(key, prefix) {
			continue
		}
		if err := fn(key, raw, expires); err != nil {
			return err
		}
	}
	return unavailable(rows.Err())
}

func (p *pgBackend) estimate(prefix string) int {
	ctx, cancel := context.WithTimeout(context.Background(), pgTxTimeout)
	defer cancel()
	lo, hi, _, _ := p.rowRange(prefix)
	var n int64
	if err := p.pool.QueryRow(ctx, `SELECT count(*) FROM facegate_kv WHERE k >= $1 AND ($2::bytea IS NULL OR k < $2)`, lo, hi).Scan(&n); err != nil {
		return 0
	}
	return int(n)
}

func (p *pgBackend) size() (int64, int64) {
	ctx, cancel := context.WithTimeout(context.Background(), pgTxTimeout)
	defer cancel()
	var n int64
	if err := p.pool.QueryRow(ctx, `SELECT pg_total_relation_size('facegate_kv') + pg_total_relation_size('facegate_changes')`).Scan(&n); err != nil {
		return 0, 0
	}
	return n, 0
}

func (p *pgBackend) watch(prefix string, fn func(Change)) func() { return p.feed.add(prefix, fn) }

func (p *pgBackend) closed() bool { return p.isShut.Load() }

func (p *pgBackend) ping(ctx context.Context) error {
	if p.isShut.Load() {
		return errors.New("store is closed")
	}
	if err := p.pool.Ping(ctx); err != nil {
		return unavailable(err)
	}
	return nil
}

func (p *pgBackend) close() error {
	if p.isShut.Swap(true) {
		return nil
	}
	p.cancel()
	p.wg.Wait()
	p.pool.Close()
	return nil
}

// sweepEvery is how often expired rows and old change-log entries are removed;
// changeLogKeep is how long the change log keeps an entry (a node whose
// feed was interrupted for longer re-reads everything it watches).
const (
	sweepEvery    = 30 * time.Second
	changeLogKeep = 10 * time.Minute
)

// sweep removes expired rows and prunes the change log until ctx ends.
func (p *pgBackend) sweep(ctx context.Context) {
	t := time.NewTicker(sweepEvery)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if err := p.sweepOnce(ctx); err != nil && ctx.Err() == nil {
			p.log.Warn("removing expired rows failed; retrying later", zap.Error(err))
		}
	}
}

func (p *pgBackend) sweepOnce(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, pgTxTimeout)
	defer cancel()
	if _, err := p.pool.Exec(ctx, `DELETE FROM facegate_kv WHERE k IN
		(SELECT k FROM facegate_kv WHERE expires_at <= now() LIMIT 10000)`); err != nil {
		return err
	}
	_, err := p.pool.Exec(ctx, `WITH gone AS (
			DELETE FROM facegate_changes WHERE at < now() - make_interval(secs => $1) RETURNING seq)
		UPDATE facegate_feed SET pruned_through = greatest(pruned_through, (SELECT max(seq) FROM gone))
		WHERE EXISTS (SELECT 1 FROM gone)`, changeLogKeep.Seconds())
	return err
}

// pgTx is one PostgreSQL transaction; writes records the rows it changed
// (row key → plain key) for the change log.
type pgTx struct {
	p      *pgBackend
	ctx    context.Context
	tx     pgx.Tx
	writes map[string]string // nil: read-only
}

func (t *pgTx) get(key string) ([]byte, error) {
	row := t.p.c.rowKey(key)
	var sealed []byte
	err := t.tx.QueryRow(t.ctx, `SELECT v FROM facegate_kv WHERE k = $1 AND (expires_at IS NULL OR expires_at > now())`, row).Scan(&sealed)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, fmt.Errorf("get %q: %w", key, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("get %q: %w", key, unavailable(err))
	}
	plain, raw, err := t.p.c.open("kv", row, sealed)
	if err != nil {
		return nil, fmt.Errorf("get %q: %w", key, err)
	}
	if plain != key { // a token collision: 96 bits make it theoretical
		return nil, fmt.Errorf("get %q: %w", key, ErrNotFound)
	}
	return raw, nil
}

func (t *pgTx) exists(key string) (bool, error) {
	_, err := t.get(key)
	if errors.Is(err, ErrNotFound) {
		return false, nil
	}
	return err == nil, err
}

func (t *pgTx) put(key string, raw []byte, ttl time.Duration) error {
	if t.writes == nil {
		return fmt.Errorf("put %q: read-only transaction", key)
	}
	row := t.p.c.rowKey(key)
	var ttlS *float64
	if ttl > 0 {
		s := ttl.Seconds()
		ttlS = &s
	}
	_, err := t.tx.Exec(t.ctx, `INSERT INTO facegate_kv (k, v, expires_at)
		VALUES ($1, $2, now() + make_interval(secs => $3::float8))
		ON CONFLICT (k) DO UPDATE SET v = excluded.v, expires_at = excluded.expires_at`,
		row, t.p.c.seal("kv", row, key, raw), ttlS)
	if err != nil {
		return fmt.Errorf("put %q: %w", key, unavailable(err))
	}
	t.writes[string(row)] = key
	return nil
}

func (t *pgTx) del(key string) error {
	if t.writes == nil {
		return fmt.Errorf("delete %q: read-only transaction", key)
	}
	row := t.p.c.rowKey(key)
	tag, err := t.tx.Exec(t.ctx, `DELETE FROM facegate_kv WHERE k = $1`, row)
	if err != nil {
		return fmt.Errorf("delete %q: %w", key, unavailable(err))
	}
	if tag.RowsAffected() > 0 {
		t.writes[string(row)] = key
	}
	return nil
}

// pgRow is one decrypted row of a scan.
type pgRow struct {
	key string
	raw []byte
}

func (t *pgTx) scan(prefix, start string, reverse, _ bool, fn func(key string, raw []byte) error) error {
	lo, hi, exact, ordered := t.p.rowRange(prefix)
	if ordered {
		return t.scanOrdered(prefix, start, reverse, lo, hi, fn)
	}
	// Tokens do not sort like their keys: read the prefix, sort, then call fn.
	rows, err := t.tx.Query(t.ctx, `SELECT k, v FROM facegate_kv
		WHERE k >= $1 AND ($2::bytea IS NULL OR k < $2) AND (expires_at IS NULL OR expires_at > now())`, lo, hi)
	if err != nil {
		return fmt.Errorf("scan %q: %w", prefix, unavailable(err))
	}
	var all []pgRow
	var row, sealed []byte
	for rows.Next() {
		if err := rows.Scan(&row, &sealed); err != nil {
			rows.Close()
			return fmt.Errorf("scan %q: %w", prefix, unavailable(err))
		}
		key, raw, err := t.p.c.open("kv", row, sealed)
		if err != nil {
			rows.Close()
			return fmt.Errorf("scan %q: %w", prefix, err)
		}
		if exact || strings.HasPrefix(key, prefix) {
			all = append(all, pgRow{key, raw})
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("scan %q: %w", prefix, unavailable(err))
	}
	slices.SortFunc(all, func(a, b pgRow) int { return strings.Compare(a.key, b.key) })
	if reverse {
		slices.Reverse(all)
	}
	for _, r := range all {
		if start != "" && (!reverse && r.key < start || reverse && r.key > start) {
			continue
		}
		if err := fn(r.key, r.raw); err != nil {
			if errors.Is(err, ErrStop) {
				return nil
			}
			return err
		}
	}
	return nil
}

// scanOrdered scans a plain prefix, whose row keys sort like its keys, in
// chunks of pgScanChunk rows in the database's order.
func (t *pgTx) scanOrdered(prefix, start string, reverse bool, lo, hi []byte, fn func(key string, raw []byte) error) error {
	var from []byte // inclusive bound of the first chunk, exclusive of the next ones
	if start != "" {
		if strings.HasPrefix(start, prefix) {
			from = t.p.c.rowKey(start)
		} else if !reverse && start > prefix || reverse && start < prefix {
			return nil // start is past every key of prefix
		}
	}
	first := true
	for {
		var q string
		switch {
		case !reverse && first:
			q = `SELECT k, v FROM facegate_kv WHERE k >= greatest($1::bytea, coalesce($3::bytea, $1::bytea)) AND ($2::bytea IS NULL OR k < $2)
				AND (expires_at IS NULL OR expires_at > now()) ORDER BY k LIMIT $4`
		case !reverse:
			q = `SELECT k, v FROM facegate_kv WHERE k > $3::bytea AND ($2::bytea IS NULL OR k < $2)
				AND (expires_at IS NULL OR expires_at > now()) ORDER BY k LIMIT $4`
		case first:
			q = `SELECT k, v FROM facegate_kv WHERE k >= $1 AND ($3::bytea IS NULL OR k <= $3) AND ($2::bytea IS NULL OR k < $2)
				AND (expires_at IS NULL OR expires_at > now()) ORDER BY k DESC LIMIT $4`
		default:
			q = `SELECT k, v FROM facegate_kv WHERE k >= $1 AND k < $3::bytea
				AND (expires_at IS NULL OR expires_at > now()) ORDER BY k DESC LIMIT $4`
		}
		rows, err := t.tx.Query(t.ctx, q, lo, hi, from, pgScanChunk)
		if err != nil {
			return fmt.Errorf("scan %q: %w", prefix, unavailable(err))
		}
		var chunk []pgRow
		var last []byte
		var row, sealed []byte
		for rows.Next() {
			if err := rows.Scan(&row, &sealed); err != nil {
				rows.Close()
				return fmt.Errorf("scan %q: %w", prefix, unavailable(err))
			}
			key, raw, err := t.p.c.open("kv", row, sealed)
			if err != nil {
				rows.Close()
				return fmt.Errorf("scan %q: %w", prefix, err)
			}
			chunk = append(chunk, pgRow{key, raw})
			last = bytes.Clone(row)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return fmt.Errorf("scan %q: %w", prefix, unavailable(err))
		}
		for _, r := range chunk {
			if err := fn(r.key, r.raw); err != nil {
				if errors.Is(err, ErrStop) {
					return nil
				}
				return err
			}
		}
		if len(chunk) < pgScanChunk {
			return nil
		}
		from, first = last, false
	}
}
