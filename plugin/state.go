package plugin

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/valkey-io/valkey-go"
	"go.uber.org/zap"

	"github.com/facegate/facegate/engine/faceapi"
	"github.com/facegate/facegate/engine/index"
	"github.com/facegate/facegate/engine/service"
	"github.com/facegate/facegate/plugin/internal/usage"
	"github.com/facegate/facegate/plugin/keyring"
	"github.com/facegate/facegate/plugin/limits"
	"github.com/facegate/facegate/policies"
	"github.com/facegate/facegate/store"
)

// credentialsFileName is written once, on the first start, in the data dir.
const credentialsFileName = "initial-credentials.json"

// stateConfig is the part of the app config that the shared state uses.
type stateConfig struct {
	DataDir        string
	KeyFile        string
	KeyringKeyFile string
	PoliciesDir    string
	PolicyPoll     time.Duration
	Limits         InputLimits
	URLAllowHosts  []string
	RedisURL       string // cluster mode when set
	PostgresURL    string // the store on PostgreSQL when set
}

// state is everything that outlives one Caddy config: one per data dir.
type state struct {
	logger    *zap.Logger
	store     *store.Store
	keys      *keyring.Keyring
	index     *index.Index
	service   *service.Service
	limiter   *limits.Limiter
	limitsLog *limitsJournal
	nonces    *nonceGuard
	validator *policies.Validator
	analyzer  swapAnalyzer    // follows the config's decoding limits across reloads
	fetcher   swapFetcher     // follows url_allow_hosts and max_image_bytes
	usage     *usage.Recorder // per-key usage for GET /usage (usage_hook.go)
	usageLog  *usageJournal   // keeps it across restarts (usage_journal.go)

	cfg stateConfig // the config last applied (build or reconfigure)

	// cluster mode (Redis set): the shared limiter and nonces, and the client
	redis        valkey.Client
	shared       *limits.Redis
	sharedNonces *redisNonces
	redisProbe   *pingProbe // the ready probe's cached PING (readiness.go)
	storeProbe   *pingProbe // the same for PostgreSQL (nil with Badger)

	// indexLoad is the background load of index (index_load.go); nil when
	// the index was built before the state was made.
	indexLoad *indexLoader
	follow    *storeFollower // other nodes' changes (cluster_pg.go)

	mu        sync.Mutex
	decider   *policies.Decider
	policyDir string
	stopWatch context.CancelFunc
}

// openState opens the store for cfg.DataDir and builds everything on top of it.
func openState(cfg stateConfig, logger *zap.Logger) (*state, error) {
	if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
		return nil, fmt.Errorf("creating data dir: %w", err)
	}
	key, err := loadOrCreateKey(cfg.DataDir, cfg.KeyFile)
	if err != nil {
		return nil, err
	}
	// Both keys are settled before the store is opened, so that a missing
	// keyring key is caught while the store dir still tells "new" from "existing".
	keyringKey, err := keyringKeySpec.loadOrCreate(cfg.DataDir, cfg.KeyringKeyFile)
	if err != nil {
		return nil, err
	}
	if err := restrictFileModes(filepath.Join(cfg.DataDir, storeDirName)); err != nil {
		return nil, fmt.Errorf("restricting store file modes: %w", err)
	}
	st, err := store.Open(storeOptions(cfg, key, logger))
	if err != nil {
		return nil, fmt.Errorf("opening store in %s: %w", cfg.DataDir, err)
	}
	s := &state{logger: logger, store: st, usage: usage.New(usage.Options{})}
	if err := s.build(cfg, keyringKey); err != nil {
		s.follow.stop()
		_ = st.Close()
		if s.shared != nil {
			s.shared.Close()
		}
		if s.redis != nil {
			s.redis.Close()
		}
		return nil, err
	}
	s.usageLog = newUsageJournal(s.usage, st, nodeJournalPrefix(usageKeyPrefix, st, cfg.DataDir), logger)
	return s, nil
}

// build wires keyring, policies, limiter, index and service onto the store.
func (s *state) build(cfg stateConfig, keyringKey []byte) error {
	var err error
	s.keys, err = keyring.New(s.store, keyringKey, time.Now)
	if err != nil {
		return fmt.Errorf("opening keyring: %w", err)
	}
	if err := s.bootstrap(cfg.DataDir); err != nil {
		return err
	}
	if err := s.setPolicies(cfg); err != nil {
		return err
	}
	s.limiter = limits.New(limits.SystemClock{}, 100_000)
	if cfg.RedisURL != "" {
		if s.redis, err = openRedis(cfg.RedisURL); err != nil {
			return err
		}
		s.shared = limits.NewRedis(s.redis, nil, redisKeyPrefix+"limits:")
		s.sharedNonces = &redisNonces{c: s.redis, prefix: redisKeyPrefix + "nonce:"}
		s.keys.ShareAdminState(&redisAdminState{c: s.redis, prefix: redisKeyPrefix + "admin:"})
		s.redisProbe = newRedisProbe(s.redis)
		s.logger.Info("cluster mode: limits, nonces and admin lockouts and TOTP codes shared in redis")
	} else {
		s.limitsLog = newLimitsJournal(s.limiter, s.store, nodeJournalPrefix(limitsKeyPrefix, s.store, cfg.DataDir), s.logger)
		s.nonces = newNonceGuard(s.store, s.logger)
	}

	s.index = index.New()
	an, err := newAnalyzer(cfg)
	if err != nil {
		return err
	}
	fe, err := newFetcher(cfg)
	if err != nil {
		return err
	}
	s.analyzer.cur.Store(an)
	s.fetcher.cur.Store(fe)
	s.cfg = cfg
	s.service, err = service.New(s.store, s.index, &s.analyzer, &s.fetcher, service.Options{
		NamespaceOwner: s.keys.NamespaceOwner,
		Namespaces:     s.ownerNamespaces,
		Confidence:     faceapi.Confidence, // pairwise: faces/group similarities
		// recognize and group candidates: confidence calibrated for the number of uids
		// searched; threshold 50 = an expected false-accept rate of 1 %
		SearchConfidence: faceapi.SearchConfidence,
		Threshold:        faceapi.SearchThreshold,
		// a uid trained with several photos is searched by their mean, scored on
		// the scale of one photo so that the threshold keeps its promise
		TemplateDistance: faceapi.MeanTemplateDistance,
		// with more than 150 uids searched, distances are moved by how near the next
		// candidates of the search lie (cohort normalisation), calibrated to keep the
		// same promise
		CohortOffset: faceapi.CohortOffset,
		Logger:       s.logger,
		MaxImages:    cfg.Limits.MaxImages,
	})
	if err != nil {
		return fmt.Errorf("starting the face service: %w", err)
	}
	s.follow = followStore(s.store, s.keys, s.index, s.logger) // before the load: nothing missed
	if s.store.Engine() == "postgres" {
		s.storeProbe = newStoreProbe(s.store)
	}
	s.indexLoad = startIndexLoad(s.index, s.store, s.logger, indexProgressEvery, indexLoadWait)
	s.follow.indexLoaded(s.indexLoad.done)
	return nil
}

// bootstrap creates the first admin and API key on an empty store and writes
// them once to the credentials file; only the file's path is logged.
func (s *state) bootstrap(dataDir string) error {
	creds, created, err := s.keys.Bootstrap()
	if err != nil {
		return fmt.Errorf("creating initial credentials: %w", err)
	}
	if !created {
		return nil
	}
	path := filepath.Join(dataDir, credentialsFileName)
	data, err := json.MarshalIndent(creds, "", "  ")
	if err != nil {
		return fmt.Errorf("encoding initial credentials: %w", err)
	}
	err = writeNewFile(path, append(data, '\n'))
	if errors.Is(err, fs.ErrExist) {
		return fmt.Errorf("%s already exists for a store without credentials: remove it and restart", path)
	}
	if err != nil {
		return fmt.Errorf("writing initial credentials: %w", err)
	}
	s.logger.Warn("first start: initial API key and admin credentials written; read them once and keep them safe",
		zap.String("file", path))
	return nil
}

// setPolicies builds the decider and the schema validator for cfg.PoliciesDir.
func (s *state) setPolicies(cfg stateConfig) error {
	// FACEGATE_DECISION_MEMO=off makes every request evaluate the policies
	// (to measure their cost; decisions are the same either way).
	noMemo := os.Getenv("FACEGATE_DECISION_MEMO") == "off"
	d, err := policies.NewDecider(policies.Options{Dir: cfg.PoliciesDir, Logger: s.logger, NoMemo: noMemo})
	if err != nil {
		return fmt.Errorf("loading policies: %w", err)
	}
	v, err := policies.NewValidator(cfg.PoliciesDir)
	if err != nil {
		return fmt.Errorf("loading schemas: %w", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.stopWatch != nil {
		s.stopWatch()
		s.stopWatch = nil
	}
	s.decider, s.validator, s.policyDir = d, v, cfg.PoliciesDir
	if cfg.PoliciesDir != "" {
		ctx, cancel := context.WithCancel(context.Background())
		s.stopWatch = cancel
		go d.Watch(ctx, cfg.PolicyPoll)
	}
	return nil
}

// reconfigure applies a reloaded config: input limits and url_allow_hosts
// take effect for the calls that start after it, policies are recompiled
// (the last good set keeps serving when the new one fails). Options that
// cannot change while the store is open are refused, naming the option.
func (s *state) reconfigure(cfg stateConfig) error {
	s.mu.Lock()
	old := s.cfg
	sameDir := s.policyDir == cfg.PoliciesDir
	s.mu.Unlock()
	switch {
	case cfg.KeyFile != old.KeyFile:
		return fmt.Errorf("facegate: key_file cannot change on a reload (the store is open with its key); restart facegate to use %q", cfg.KeyFile)
	case cfg.RedisURL != old.RedisURL:
		return fmt.Errorf("facegate: cluster redis cannot change on a reload (the counters live there); restart facegate to change it")
	case cfg.PostgresURL != old.PostgresURL:
		return fmt.Errorf("facegate: cluster postgres cannot change on a reload (the store is open there); restart facegate to change it")
	case cfg.KeyringKeyFile != old.KeyringKeyFile:
		return fmt.Errorf("facegate: keyring_key_file cannot change on a reload (the keyring is open with its key); restart facegate to use %q", cfg.KeyringKeyFile)
	}
	if err := s.applyLimits(old, cfg); err != nil {
		return err
	}
	if sameDir && cfg.PolicyPoll == old.PolicyPoll {
		if err := s.reloadPolicies(); err != nil {
			s.logger.Error("policy reload failed; the last good policies keep serving", zap.Error(err))
		}
	} else if err := s.setPolicies(cfg); err != nil {
		s.logger.Error("new policies dir failed to load; the last good policies keep serving", zap.Error(err))
	}
	s.mu.Lock()
	s.cfg = cfg
	s.mu.Unlock()
	return nil
}

func (s *state) currentDecider() *policies.Decider {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.decider
}

func (s *state) reloadPolicies() error {
	return s.currentDecider().Reload()
}

// ownerNamespaces lists the names of the namespaces owner holds.
func (s *state) ownerNamespaces(owner string) []string {
	list, err := s.keys.ListNamespaces(owner)
	if err != nil {
		s.logger.Error("listing namespaces failed", zap.Error(err))
		return nil
	}
	names := make([]string, len(list))
	for i, ns := range list {
		names[i] = ns.Name
	}
	return names
}

// eraseKeyData removes a key and, with it, every namespace its owner holds.
func (s *state) eraseKeyData(keyID string) error {
	if err := s.indexWritable(); err != nil {
		return err
	}
	k, err := s.keys.Get(keyID)
	if err != nil {
		return fmt.Errorf("looking up key: %w", err)
	}
	if err := s.service.DeleteOwner(k.Owner); err != nil {
		return fmt.Errorf("erasing data of the key's owner: %w", err)
	}
	return s.keys.Delete(keyID, "admin")
}

// Destruct closes the store; the UsagePool calls it when the last config
// holding this data dir is gone.
func (s *state) Destruct() error {
	if s.indexLoad != nil {
		s.indexLoad.stop() // the loader reads the store
	}
	s.follow.stop()
	s.mu.Lock()
	if s.stopWatch != nil {
		s.stopWatch()
	}
	s.mu.Unlock()
	if s.nonces != nil {
		s.nonces.Close()
	}
	if s.limitsLog != nil {
		s.limitsLog.Close()
	}
	if s.usageLog != nil {
		s.usageLog.Close()
	}
	if s.shared != nil {
		s.shared.Close()
	}
	if s.redis != nil {
		s.redis.Close()
	}
	if err := s.keys.Close(); err != nil {
		s.logger.Error("flushing key last-used times failed", zap.Error(err))
	}
	return s.store.Close()
}
