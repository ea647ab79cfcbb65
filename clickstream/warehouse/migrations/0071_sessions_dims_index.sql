-- sessions_panels_idx (0060) has the same key as sessions_dims_idx, (day, login_state,
-- is_bot), and covers more columns, so it serves every lookup the narrower index served. The
-- narrower one only cost each derive an index insertion per session row, so it goes.

DROP INDEX IF EXISTS sessions_dims_idx;
