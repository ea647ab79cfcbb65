-- Conditions many statements share (sqlfiles.py): a statement writes `{{name}}` where one
-- goes. Each is a conjunction of parenthesised terms, so `AND {{name}}` reads as it looks.

-- The login state, bots and sites the filters keep: every statement that reads events,
-- sessions or roll-ups applies it.
-- part: kept
(%(login)s::text IS NULL OR login_state = %(login)s) AND (%(bots)s OR NOT is_bot)
AND (%(sites)s::text[] IS NULL OR site_id = ANY(%(sites)s::text[]))

-- No channel, country or device filter: a roll-up without those columns may answer.
-- part: no_dimension
%(channel)s::text IS NULL AND %(country)s::text IS NULL AND %(device)s::text IS NULL

-- At least one of them: the same figure comes from `sessions`, which has the columns.
-- part: some_dimension
num_nonnulls(%(channel)s::text, %(country)s::text, %(device)s::text) > 0

-- The channel, country and device filters on a table with those columns; a session with no
-- channel is 'Unassigned', one with no country or device 'unknown', as the pages list them.
-- part: dimensions
(%(channel)s::text IS NULL OR coalesce(channel, 'Unassigned') = %(channel)s)
AND (%(country)s::text IS NULL OR coalesce(country, 'unknown') = %(country)s)
AND (%(device)s::text IS NULL OR coalesce(device_type, 'unknown') = %(device)s)
