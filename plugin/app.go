package plugin

import (
	"context"
	"fmt"
	"path/filepath"
	"sync/atomic"
	"time"

	"github.com/caddyserver/caddy/v2"
	"go.uber.org/zap"

	"github.com/facegate/facegate/plugin/keyring"
	"github.com/facegate/facegate/store"
)

func init() {
	caddy.RegisterModule(new(App))
}

// statePool holds one shared state per data directory. Caddy provisions and
// starts a new config before it stops the old one, and a second badger.Open
// on the same directory fails, so the store must outlive a single config.
var statePool = caddy.NewUsagePool()

// App is the `facegate` Caddy app. It owns the state every facegate handler
// shares and that must survive config reloads. Configure it with the
// Caddyfile global option `facegate { ... }` (see caddyfile_app.go).
type App struct {
	// DataDir holds the encrypted Badger store, the encryption key (unless
	// KeyFile points elsewhere) and initial-credentials.json.
	DataDir string `json:"data_dir,omitempty"`
	// KeyFile is the 32-byte store encryption key (raw, hex or base64). It is
	// generated on the first start when absent and the data dir is empty.
	KeyFile string `json:"key_file,omitempty"`
	// KeyringKeyFile is the 32-byte keyring server key (pepper of secret
	// hashes, seal of signing secrets), default <data_dir>/keyring.key, or
	// FACEGATE_KEYRING_KEY. Keep it apart from the store where you can.
	KeyringKeyFile string `json:"keyring_key_file,omitempty"`
	// PoliciesDir overrides the embedded Rego policies and JSON Schemas.
	PoliciesDir string `json:"policies_dir,omitempty"`
	// PolicyPoll is how often the policies dir is checked for changes.
	PolicyPoll caddy.Duration `json:"policy_poll,omitempty"`
	// Limits are the hard input limits of docs/security.md §4.
	Limits InputLimits `json:"limits,omitempty"`
	// URLAllowHosts opens specific hosts (host, host:port or CIDR) to the
	// server-side fetching of `urls`, which otherwise refuses private,
	// loopback and link-local addresses.
	URLAllowHosts []string `json:"url_allow_hosts,omitempty"`
	// LegacyStatusCodes answers every failure with HTTP 400, for the official
	// SkyBiometry browser client, which reads error bodies only on 200/400.
	LegacyStatusCodes bool `json:"legacy_status_codes,omitempty"`
	// JSONP enables the `callback` parameter (off by default).
	JSONP bool `json:"jsonp,omitempty"`
	// Cluster names the shared engines of the cluster mode (see
	// cluster.go); empty is the embedded mode.
	Cluster ClusterConfig `json:"cluster,omitempty"`

	ctx    caddy.Context
	logger *zap.Logger
	poolID string
	state  atomic.Pointer[state]
	// started is closed once Start has set state. Caddy starts apps in no
	// fixed order, so the HTTP server may take requests a moment before.
	started chan struct{}
}

// CaddyModule returns the Caddy module information.
func (*App) CaddyModule() caddy.ModuleInfo {
	return caddy.ModuleInfo{
		ID:  "facegate",
		New: func() caddy.Module { return new(App) },
	}
}

// AppFrom returns the facegate app (global option `facegate`) to the
// Provision of module, a handler that needs it.
func AppFrom(ctx caddy.Context, module string) (*App, error) {
	a, err := ctx.App("facegate")
	if err != nil {
		return nil, fmt.Errorf("%s needs the facegate app: %w", module, err)
	}
	app, ok := a.(*App)
	if !ok {
		return nil, fmt.Errorf("%s: facegate app has unexpected type %T", module, a)
	}
	return app, nil
}

// Provision fills defaults; it opens nothing (it also runs on `caddy validate`).
func (a *App) Provision(ctx caddy.Context) error {
	a.ctx = ctx
	a.logger = ctx.Logger()
	initMetrics(ctx.GetMetricsRegistry())
	repl := caddy.NewReplacer()
	if a.DataDir == "" {
		a.DataDir = "./data"
	}
	a.DataDir = repl.ReplaceKnown(a.DataDir, "")
	abs, err := filepath.Abs(a.DataDir)
	if err != nil {
		return fmt.Errorf("resolving data dir: %w", err)
	}
	a.DataDir = abs
	a.KeyFile = repl.ReplaceKnown(a.KeyFile, "")
	a.KeyringKeyFile = repl.ReplaceKnown(a.KeyringKeyFile, "")
	a.Cluster.Redis = repl.ReplaceKnown(a.Cluster.Redis, "")
	a.Cluster.Postgres = repl.ReplaceKnown(a.Cluster.Postgres, "")
	if a.PoliciesDir != "" {
		a.PoliciesDir = repl.ReplaceKnown(a.PoliciesDir, "")
	}
	if a.PolicyPoll == 0 {
		a.PolicyPoll = caddy.Duration(2 * time.Second)
	}
	a.Limits.setDefaults()
	a.poolID = a.DataDir
	a.started = make(chan struct{})
	return nil
}

// Validate checks the configuration.
func (a *App) Validate() error {
	return a.Limits.validate()
}

// Start opens (or reuses, across reloads) the shared state for the data dir.
func (a *App) Start() error {
	val, loaded, err := statePool.LoadOrNew(a.poolID, func() (caddy.Destructor, error) {
		return openState(a.stateConfig(), a.logger)
	})
	if err != nil {
		return err
	}
	st := val.(*state)
	st.instrument()
	if loaded { // a reload: a fresh state has just compiled the policies itself
		if err := st.reconfigure(a.stateConfig()); err != nil {
			_, _ = statePool.Delete(a.poolID) // this config never started: release its hold
			return err
		}
	}
	a.state.Store(st)
	close(a.started)
	return nil
}

// Stop releases this config's hold on the shared state; the last holder closes it.
func (a *App) Stop() error {
	if a.state.Swap(nil) == nil {
		return nil
	}
	_, err := statePool.Delete(a.poolID)
	return err
}

func (a *App) stateConfig() stateConfig {
	return stateConfig{
		DataDir:        a.DataDir,
		KeyFile:        a.KeyFile,
		KeyringKeyFile: a.KeyringKeyFile,
		PoliciesDir:    a.PoliciesDir,
		PolicyPoll:     time.Duration(a.PolicyPoll),
		Limits:         a.Limits,
		URLAllowHosts:  a.URLAllowHosts,
		RedisURL:       a.Cluster.Redis,
		PostgresURL:    a.Cluster.Postgres,
	}
}

// current returns the started state, or nil after Stop.
func (a *App) current() *state { return a.state.Load() }

// awaitState returns the state, waiting up to startWait for Start when a
// request arrives before the app has started; nil if it does not start.
func (a *App) awaitState(ctx context.Context) *state {
	if st := a.current(); st != nil {
		return st
	}
	t := time.NewTimer(startWait)
	defer t.Stop()
	select {
	case <-a.started:
	case <-t.C:
	case <-ctx.Done():
	}
	return a.current()
}

// startWait bounds how long a request waits for the app to start.
const startWait = 15 * time.Second

// Logger returns the app's logger.
func (a *App) Logger() *zap.Logger { return a.logger }

// Store returns the encrypted store (nil before Start).
func (a *App) Store() *store.Store {
	if st := a.current(); st != nil {
		return st.store
	}
	return nil
}

// Keyring returns the key and admin registry (nil before Start).
func (a *App) Keyring() *keyring.Keyring {
	if st := a.current(); st != nil {
		return st.keys
	}
	return nil
}

// ReloadPolicies recompiles the Rego policies; on failure the last good set
// keeps serving and the error is returned.
func (a *App) ReloadPolicies() error {
	st := a.current()
	if st == nil {
		return fmt.Errorf("facegate app is not started")
	}
	return st.reloadPolicies()
}

// EraseKeyData deletes every namespace owned by the key's owner, with all the
// faces, tags and templates stored in them, then the key itself.
func (a *App) EraseKeyData(keyID string) error {
	st := a.current()
	if st == nil {
		return fmt.Errorf("facegate app is not started")
	}
	return st.eraseKeyData(keyID)
}

// EraseNamespaceData deletes every face, tag and template stored in the
// namespace and drops it from the search index; the registration stays.
func (a *App) EraseNamespaceData(name string) error {
	st := a.current()
	if st == nil {
		return fmt.Errorf("facegate app is not started")
	}
	if err := st.indexWritable(); err != nil {
		return err
	}
	return st.service.DeleteNamespace(name)
}

// Interface guards.
var (
	_ caddy.App         = (*App)(nil)
	_ caddy.Provisioner = (*App)(nil)
	_ caddy.Validator   = (*App)(nil)
)
