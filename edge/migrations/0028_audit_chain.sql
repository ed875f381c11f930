-- The audit trail's hash chain (shared/src/evidence/chain.rs): each row of
-- an organization gets its place in the chain and the SHA-256 of its
-- content and of the row before it, set once by the sealer. Rows are still
-- only ever added; the one update a row may receive is its seal.
ALTER TABLE audit_events ADD COLUMN seq INTEGER;
ALTER TABLE audit_events ADD COLUMN prev_hash TEXT;
ALTER TABLE audit_events ADD COLUMN hash TEXT;

CREATE UNIQUE INDEX audit_chain ON audit_events (organization_id, seq) WHERE seq IS NOT NULL;
CREATE INDEX audit_unsealed ON audit_events (organization_id, created_at, id)
    WHERE hash IS NULL AND organization_id IS NOT NULL;

DROP TRIGGER audit_append_only_update;
CREATE TRIGGER audit_append_only_update BEFORE UPDATE ON audit_events
WHEN OLD.hash IS NOT NULL OR NEW.hash IS NULL OR NEW.seq IS NULL
  OR NEW.id IS NOT OLD.id OR NEW.organization_id IS NOT OLD.organization_id
  OR NEW.actor IS NOT OLD.actor OR NEW.action IS NOT OLD.action
  OR NEW.subject IS NOT OLD.subject OR NEW.ip IS NOT OLD.ip
  OR NEW.detail IS NOT OLD.detail OR NEW.created_at IS NOT OLD.created_at
BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only'); END;
