// Package pgtest starts private PostgreSQL servers for tests: initdb and
// pg_ctl from Debian's postgresql package (/usr/lib/postgresql/<v>/bin), a
// data dir in a temp dir, a free loopback port, trust authentication on
// loopback only. initdb refuses to run as root, so as root the server runs
// as the user "nobody" (through runuser), with its data dir owned by it.
//
// Without the binaries a test is skipped with a message, except when CI is
// "true": CI installs them (.ci/run), so there a missing binary fails.
package pgtest

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// Server is one private PostgreSQL server.
type Server struct {
	Bin  string // the directory of initdb, pg_ctl, pg_dump
	Dir  string // the temp dir holding data/ and the socket
	Port int
	User string // the database superuser

	runAs string // the OS user the server runs as ("" = this process's)
	dbs   atomic.Int64
}

// BinDir returns the newest /usr/lib/postgresql/*/bin that has initdb, or "".
func BinDir() string {
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	sort.Slice(dirs, func(i, j int) bool { return version(dirs[i]) > version(dirs[j]) })
	for _, d := range dirs {
		if _, err := os.Stat(filepath.Join(d, "initdb")); err == nil {
			return d
		}
	}
	return ""
}

func version(binDir string) int {
	v, _ := strconv.Atoi(filepath.Base(filepath.Dir(binDir)))
	return v
}

// Start starts a server for t and stops it when t ends. It skips t when the
// binaries are missing (fails when CI=true).
func Start(t testing.TB) *Server {
	t.Helper()
	s, err := StartServer()
	if err != nil {
		if s == nil && os.Getenv("CI") != "true" {
			t.Skipf("PostgreSQL test server not available: %v (install Debian's postgresql package)", err)
		}
		t.Fatalf("starting a PostgreSQL test server: %v", err)
	}
	t.Cleanup(s.Close)
	return s
}

// StartServer is Start without a test: the caller must Close it. A nil
// server with an error means the binaries are missing.
func StartServer() (*Server, error) {
	bin := BinDir()
	if bin == "" {
		return nil, fmt.Errorf("no initdb under /usr/lib/postgresql/*/bin")
	}
	s := &Server{Bin: bin, User: "facegate"}
	if os.Geteuid() == 0 {
		s.runAs = "nobody"
		if _, err := user.Lookup(s.runAs); err != nil {
			return s, fmt.Errorf("running as root, and there is no user %q to run PostgreSQL as", s.runAs)
		}
	}
	dir, err := os.MkdirTemp("", "facegate-pg-")
	if err != nil {
		return s, err
	}
	s.Dir = dir
	if err := os.Chmod(dir, 0o755); err != nil {
		return s, err
	}
	data := filepath.Join(dir, "data")
	if err := os.Mkdir(data, 0o700); err != nil {
		return s, err
	}
	if s.runAs != "" {
		u, _ := user.Lookup(s.runAs)
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		if err := os.Chown(data, uid, gid); err != nil {
			return s, err
		}
	}
	if out, err := s.run("initdb", "-D", data, "-U", s.User, "--auth=trust", "-E", "UTF8", "--no-locale", "--no-sync", "--no-instructions"); err != nil {
		os.RemoveAll(dir)
		return s, fmt.Errorf("initdb: %v: %s", err, out)
	}
	if s.Port, err = freePort(); err != nil {
		os.RemoveAll(dir)
		return s, err
	}
	if err := s.StartAgain(); err != nil {
		os.RemoveAll(dir)
		return s, err
	}
	return s, nil
}

func (s *Server) run(tool string, args ...string) ([]byte, error) {
	path := filepath.Join(s.Bin, tool)
	var cmd *exec.Cmd
	if s.runAs != "" {
		cmd = exec.Command("runuser", append([]string{"-u", s.runAs, "--", path}, args...)...)
	} else {
		cmd = exec.Command(path, args...)
	}
	cmd.Dir = s.Dir
	return cmd.CombinedOutput()
}

// StartAgain starts the server (after Stop) on its port.
func (s *Server) StartAgain() error {
	data := filepath.Join(s.Dir, "data")
	opts := fmt.Sprintf("-p %d -k %s -c listen_addresses=127.0.0.1 -c max_connections=200", s.Port, data)
	if out, err := s.run("pg_ctl", "-D", data, "-l", filepath.Join(data, "server.log"), "-w", "-t", "60", "-o", opts, "start"); err != nil {
		log, _ := os.ReadFile(filepath.Join(data, "server.log"))
		return fmt.Errorf("pg_ctl start: %v: %s\n%s", err, out, log)
	}
	return nil
}

// Stop stops the server (fast shutdown: connections are cut).
func (s *Server) Stop() error {
	if out, err := s.run("pg_ctl", "-D", filepath.Join(s.Dir, "data"), "-w", "-m", "fast", "stop"); err != nil {
		return fmt.Errorf("pg_ctl stop: %v: %s", err, out)
	}
	return nil
}

// Close stops the server and removes its files.
func (s *Server) Close() {
	_ = s.Stop()
	os.RemoveAll(s.Dir)
}

// DSN is the connection string of database db.
func (s *Server) DSN(db string) string {
	return fmt.Sprintf("postgres://%s@127.0.0.1:%d/%s?sslmode=disable", s.User, s.Port, db)
}

// CreateDB creates a new, empty database and returns its DSN.
func (s *Server) CreateDB() (string, error) {
	name := fmt.Sprintf("facegate_test_%d", s.dbs.Add(1))
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, s.DSN("postgres"))
	if err != nil {
		return "", err
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+name); err != nil {
		return "", err
	}
	return s.DSN(name), nil
}

// Dump returns pg_dump's plain SQL of the database of dsn.
func (s *Server) Dump(dsn string) ([]byte, error) {
	out, err := exec.Command(filepath.Join(s.Bin, "pg_dump"), "--no-owner", "-d", dsn).Output()
	if err != nil {
		return nil, fmt.Errorf("pg_dump: %w", err)
	}
	return out, nil
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}
