-- facegate's store on PostgreSQL: one key-value table whose row keys are
-- keyed tokens of the store's keys and whose values are sealed with
-- AES-256-GCM under the store key (the plain key travels inside the sealed
-- value), the change log that keeps every node's caches current, and the
-- key-check row.
CREATE TABLE facegate_kv (
	k          bytea PRIMARY KEY,
	v          bytea NOT NULL,
	expires_at timestamptz
);
CREATE INDEX facegate_kv_expires ON facegate_kv (expires_at) WHERE expires_at IS NOT NULL;

CREATE SEQUENCE facegate_changes_seq;
CREATE TABLE facegate_changes (
	seq  bigint PRIMARY KEY,
	node text NOT NULL,
	k    bytea NOT NULL,
	pk   bytea NOT NULL,
	at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX facegate_changes_at ON facegate_changes (at);

CREATE TABLE facegate_feed (
	id             boolean PRIMARY KEY DEFAULT true CHECK (id),
	pruned_through bigint NOT NULL DEFAULT 0
);
INSERT INTO facegate_feed DEFAULT VALUES;

CREATE TABLE facegate_meta (
	name text PRIMARY KEY,
	v    bytea NOT NULL
);
