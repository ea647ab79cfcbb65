-- Journeys: the steps around a chosen step (a page's URL without query, or an event's name),
-- three deep each way, and the sessions' entry and exit pages with their conversion. Read
-- from `journey_daily` and `entry_exit_daily` (0095), summed over the period's days.

-- Sessions with a page, and those that purchased, in the period and the one before.
-- name: kpis
SELECT CASE WHEN day >= %(start)s THEN 'current' ELSE 'previous' END AS period,
    sum(sessions)::bigint AS sessions, sum(purchasing_sessions)::bigint AS purchasing_sessions
FROM entry_exit_daily
WHERE kind = 'entry' AND day BETWEEN %(prev_start)s AND %(end)s
    AND {{kept}}
GROUP BY 1;

-- The steps to choose from, most frequent first (each occurrence has one depth-1 row).
-- name: anchors
SELECT anchor, sum(transitions)::bigint AS occurrences
FROM journey_daily
WHERE day BETWEEN %(start)s AND %(end)s AND depth = 1
    AND {{kept}}
GROUP BY anchor
ORDER BY occurrences DESC, anchor
LIMIT %(limit)s;

-- Transitions around `anchor`: depth 1..3 after it, -1..-3 before it.
-- name: flows
SELECT depth, step_from, step_to, sum(transitions)::bigint AS transitions
FROM journey_daily
WHERE anchor = %(anchor)s AND day BETWEEN %(start)s AND %(end)s
    AND {{kept}}
GROUP BY depth, step_from, step_to
ORDER BY depth, transitions DESC, step_from, step_to;

-- name: entries
SELECT page, sum(sessions)::bigint AS sessions,
    sum(purchasing_sessions)::bigint AS purchasing_sessions
FROM entry_exit_daily
WHERE kind = 'entry' AND day BETWEEN %(start)s AND %(end)s
    AND {{kept}}
GROUP BY page
ORDER BY sessions DESC, page
LIMIT %(limit)s;

-- name: exits
SELECT page, sum(sessions)::bigint AS sessions,
    sum(purchasing_sessions)::bigint AS purchasing_sessions
FROM entry_exit_daily
WHERE kind = 'exit' AND day BETWEEN %(start)s AND %(end)s
    AND {{kept}}
GROUP BY page
ORDER BY sessions DESC, page
LIMIT %(limit)s;
