package store

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"regexp"

	"github.com/jackc/pgx/v5"
)

// pgStreamMinBlocks is the table size (8 KiB blocks) under which a parallel
// stream reads in one range: splitting a small table costs more than it
// saves (a variable for the tests).
var pgStreamMinBlocks int64 = 1024

// pgSnapshotID is what pg_export_snapshot returns (it is put in SQL text).
var pgSnapshotID = regexp.MustCompile(`^[0-9A-Fa-f-]+$`)

// streamParallel reads the table in block ranges (TID range scans), each of
// up to workers connections in a read-only transaction on the snapshot the
// first one exports, so that the server's work is split as well as the
// decryption. Rows arrive in binary and are decrypted into a buffer of the
// goroutine's own, without a copy or an allocation per row.
func (p *pgBackend) streamParallel(prefix string, workers int, fn func(w int, key, raw []byte) error) error {
	if p.isShut.Load() {
		return errors.New("store is closed")
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	workers = min(workers, max(1, int(p.pool.Config().MaxConns)/2))
	txs := make([]pgx.Tx, 0, workers)
	defer func() {
		for _, tx := range txs {
			_ = tx.Rollback(context.Background())
		}
	}()
	begin := func() (pgx.Tx, error) {
		tx, err := p.pool.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly})
		if err != nil {
			return nil, unavailable(err)
		}
		txs = append(txs, tx)
		return tx, nil
	}
	first, err := begin()
	if err != nil {
		return err
	}
	var snap string
	var blocks, version int64
	if err := first.QueryRow(ctx, `SELECT pg_export_snapshot(), pg_relation_size('facegate_kv') / current_setting('block_size')::bigint,
		current_setting('server_version_num')::bigint`).Scan(&snap, &blocks, &version); err != nil {
		return unavailable(err)
	}
	if !pgSnapshotID.MatchString(snap) {
		return fmt.Errorf("unexpected snapshot id from the server")
	}
	n := 1
	// Before PostgreSQL 14 a block range is a filter over a whole scan, not a TID range scan.
	if blocks >= pgStreamMinBlocks && version >= 140000 {
		n = workers * rangesPerWorker
	} else {
		workers = 1
	}
	for len(txs) < workers {
		tx, err := begin()
		if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, "SET TRANSACTION SNAPSHOT '"+snap+"'"); err != nil {
			return unavailable(err)
		}
	}
	lo, hi, exact, _ := p.rowRange(prefix)
	step := (blocks + int64(n) - 1) / int64(n)
	bufs := make([]pgOpenBuf, workers)
	return runRanges(ctx, workers, n, func(ctx context.Context, w, i int) error {
		// The first and last ranges are open: a row may sit past the
		// size read (written after it, invisible to the snapshot, or not).
		where := "true"
		if i > 0 {
			where = fmt.Sprintf("ctid >= '(%d,0)'::tid", int64(i)*step)
		}
		if i < n-1 {
			where += fmt.Sprintf(" AND ctid < '(%d,0)'::tid", int64(i+1)*step)
		}
		rows, err := txs[w].Query(ctx, `SELECT k, v FROM facegate_kv WHERE `+where+`
			AND k >= $1 AND ($2::bytea IS NULL OR k < $2) AND (expires_at IS NULL OR expires_at > now())`, lo, hi)
		if err != nil {
			return unavailable(err)
		}
		defer rows.Close()
		if fd := rows.FieldDescriptions(); len(fd) != 2 || fd[0].Format != pgx.BinaryFormatCode || fd[1].Format != pgx.BinaryFormatCode {
			return errors.New("the server did not answer in binary")
		}
		b := &bufs[w]
		for rows.Next() {
			vals := rows.RawValues()
			key, raw, err := p.c.openInto(b, "kv", vals[0], vals[1])
			if err != nil {
				return err
			}
			if !exact && !bytes.HasPrefix(key, []byte(prefix)) {
				continue
			}
			if err := fn(w, key, raw); err != nil {
				return err
			}
		}
		return unavailable(rows.Err())
	})
}
