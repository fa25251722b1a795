package store

import (
	"context"
	"embed"
	"fmt"
	"io/fs"
	"sort"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"
	"go.uber.org/zap"
)

// migrations are the schema's steps, applied in file-name order, each once.
//
//go:embed migrations/*.sql
var migrations embed.FS

// migrate applies the migrations this database lacks, under a connection-level
// advisory lock so that nodes starting together apply each step once.
func (p *pgBackend) migrate(ctx context.Context) error {
	conn, err := p.pool.Acquire(ctx)
	if err != nil {
		return fmt.Errorf("migrating the schema: %w", unavailable(err))
	}
	defer conn.Release()
	if _, err := conn.Exec(ctx, `SELECT pg_advisory_lock($1)`, int64(pgMigrateLock)); err != nil {
		return fmt.Errorf("migrating the schema: taking the lock: %w", unavailable(err))
	}
	defer conn.Exec(context.Background(), `SELECT pg_advisory_unlock($1)`, int64(pgMigrateLock)) //nolint:errcheck // the lock also ends with the connection
	if _, err := conn.Exec(ctx, `CREATE TABLE IF NOT EXISTS facegate_schema_migrations (
		version    integer PRIMARY KEY,
		name       text NOT NULL,
		applied_at timestamptz NOT NULL DEFAULT now())`); err != nil {
		return fmt.Errorf("migrating the schema: %w", unavailable(err))
	}
	names, err := fs.Glob(migrations, "migrations/*.sql")
	if err != nil {
		return err
	}
	sort.Strings(names)
	for _, name := range names {
		base := strings.TrimPrefix(name, "migrations/")
		version, err := strconv.Atoi(strings.SplitN(base, "_", 2)[0])
		if err != nil {
			return fmt.Errorf("migration %s: no version number", base)
		}
		var done bool
		if err := conn.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM facegate_schema_migrations WHERE version = $1)`, version).Scan(&done); err != nil {
			return fmt.Errorf("migrating the schema: %w", unavailable(err))
		}
		if done {
			continue
		}
		sql, err := migrations.ReadFile(name)
		if err != nil {
			return err
		}
		err = pgx.BeginFunc(ctx, conn, func(tx pgx.Tx) error {
			if _, err := tx.Exec(ctx, string(sql)); err != nil {
				return err
			}
			_, err := tx.Exec(ctx, `INSERT INTO facegate_schema_migrations (version, name) VALUES ($1, $2)`, version, base)
			return err
		})
		if err != nil {
			return fmt.Errorf("applying migration %s: %w", base, unavailable(err))
		}
		p.log.Info("applied schema migration", zap.String("migration", base))
	}
	return nil
}
