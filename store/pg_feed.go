package store

import (
	"context"
	"errors"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"go.uber.org/zap"
)

// feedPoll is how often the feed reads the change log when no notification
// arrived (a notification lost with its connection is caught up this way).
const feedPoll = 500 * time.Millisecond

// pgFeed follows the change log: it LISTENs on its own connection, reads the
// entries after the last one it saw on each notification (and every
// feedPoll), and hands other nodes' changes to the watchers.
type pgFeed struct {
	p    *pgBackend
	cfg  *pgx.ConnConfig
	last int64 // the last change-log sequence number dispatched

	mu       sync.Mutex
	watchers map[int]watcher
	nextID   int
}

type watcher struct {
	prefix string
	fn     func(Change)
}

func newPGFeed(p *pgBackend, cfg *pgx.ConnConfig, last int64) *pgFeed {
	return &pgFeed{p: p, cfg: cfg, last: last, watchers: map[int]watcher{}}
}

func (f *pgFeed) add(prefix string, fn func(Change)) func() {
	f.mu.Lock()
	id := f.nextID
	f.nextID++
	f.watchers[id] = watcher{prefix, fn}
	f.mu.Unlock()
	return func() {
		f.mu.Lock()
		delete(f.watchers, id)
		f.mu.Unlock()
	}
}

// run keeps a listening connection until ctx ends, reconnecting (and
// catching up from the last sequence number) when it is lost.
func (f *pgFeed) run(ctx context.Context) {
	backoff := 100 * time.Millisecond
	for ctx.Err() == nil {
		err := f.listen(ctx)
		if ctx.Err() != nil {
			return
		}
		f.p.log.Warn("change feed lost its connection; reconnecting", zap.Error(err))
		select {
		case <-ctx.Done():
			return
		case <-time.After(backoff):
		}
		backoff = min(2*backoff, 2*time.Second)
	}
}

// listen serves one connection until it fails.
func (f *pgFeed) listen(ctx context.Context) error {
	cctx, cancel := context.WithTimeout(ctx, pgConnectTimeout)
	conn, err := pgx.ConnectConfig(cctx, f.cfg)
	cancel()
	if err != nil {
		return err
	}
	defer conn.Close(context.Background())
	if _, err := conn.Exec(ctx, "LISTEN "+pgNotifyChannel); err != nil {
		return err
	}
	for {
		if err := f.catchUp(ctx, conn); err != nil {
			return err
		}
		wctx, cancel := context.WithTimeout(ctx, feedPoll)
		_, err := conn.WaitForNotification(wctx)
		cancel()
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if err != nil && !errors.Is(err, context.DeadlineExceeded) {
			return err
		}
		if conn.IsClosed() {
			return errors.New("connection closed")
		}
	}
}

// catchUp dispatches every change-log entry after f.last; when entries it
// had not read were pruned, every watcher is told to resynchronise.
func (f *pgFeed) catchUp(ctx context.Context, conn *pgx.Conn) error {
	ctx, cancel := context.WithTimeout(ctx, pgTxTimeout)
	defer cancel()
	var pruned int64
	if err := conn.QueryRow(ctx, `SELECT pruned_through FROM facegate_feed`).Scan(&pruned); err != nil {
		return err
	}
	if pruned > f.last {
		var top int64
		if err := conn.QueryRow(ctx, `SELECT greatest(coalesce(max(seq), 0), $1) FROM facegate_changes`, pruned).Scan(&top); err != nil {
			return err
		}
		f.p.log.Warn("change feed was interrupted for longer than the change log is kept; re-reading everything watched")
		f.last = top
		f.resync()
	}
	for {
		rows, err := conn.Query(ctx, `SELECT seq, node, k, pk FROM facegate_changes WHERE seq > $1 ORDER BY seq LIMIT 5000`, f.last)
		if err != nil {
			return err
		}
		type entry struct {
			seq  int64
			node string
			k    []byte
			pk   []byte
		}
		var batch []entry
		for rows.Next() {
			var e entry
			if err := rows.Scan(&e.seq, &e.node, &e.k, &e.pk); err != nil {
				rows.Close()
				return err
			}
			batch = append(batch, e)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		for _, e := range batch {
			f.last = e.seq
			if e.node == f.p.node {
				continue
			}
			key, _, err := f.p.c.open("change", e.k, e.pk)
			if err != nil {
				f.p.log.Error("change-log entry does not decrypt; re-reading everything watched", zap.Int64("seq", e.seq))
				f.resync()
				continue
			}
			f.dispatch(Change{Key: key})
		}
		if len(batch) < 5000 {
			return nil
		}
	}
}

func (f *pgFeed) dispatch(c Change) {
	f.mu.Lock()
	ws := make([]watcher, 0, len(f.watchers))
	for _, w := range f.watchers {
		if strings.HasPrefix(c.Key, w.prefix) {
			ws = append(ws, w)
		}
	}
	f.mu.Unlock()
	for _, w := range ws {
		w.fn(c)
	}
}

func (f *pgFeed) resync() {
	f.mu.Lock()
	ws := make([]watcher, 0, len(f.watchers))
	for _, w := range f.watchers {
		ws = append(ws, w)
	}
	f.mu.Unlock()
	for _, w := range ws {
		w.fn(Change{Key: w.prefix, Resync: true})
	}
}
