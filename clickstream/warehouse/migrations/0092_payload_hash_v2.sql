-- The payload hash changed definition (etl/payload.py: one text per field, for both the DuckDB
-- and the Spark engine), so hashes stored before this release can no longer be compared with
-- new ones. Forget them: a stored id without a hash counts any repeat as a duplicate (as ids
-- stored before hashes existed always did), so a resend of an event loaded before the upgrade
-- stays a duplicate instead of turning into a false conflict. What is given up: a repeat of
-- such an event with another payload is counted as a duplicate, not quarantined as a
-- conflict; the stored row is kept either way, so nothing is lost.
UPDATE event_ids SET payload_hash = NULL WHERE payload_hash IS NOT NULL;
