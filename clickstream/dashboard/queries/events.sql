-- Events: every event name with its counts, one event's values of one property key, and the
-- goals' conversions, from event_daily, event_property_daily and goal_daily (day roll-ups;
-- the channel, country and device filters do not apply to them). Every statement takes the
-- filter parameters of `Filters.params()`; the breakdown also `event`, `property`, `limit`.
-- Visitors are counted per day and summed over the period's days (see docs/dashboard.md).

-- name: kpis
SELECT CASE WHEN day >= %(start)s THEN 'current' ELSE 'previous' END AS period,
    sum(events)::bigint AS events, count(DISTINCT event_name)::bigint AS event_names
FROM event_daily
WHERE day BETWEEN %(prev_start)s AND %(end)s
    AND {{kept}}
GROUP BY 1;

-- name: by_event
SELECT event_name,
    coalesce(sum(events) FILTER (WHERE day >= %(start)s), 0)::bigint AS events,
    coalesce(sum(events) FILTER (WHERE day < %(start)s), 0)::bigint AS prev_events,
    coalesce(sum(sessions) FILTER (WHERE day >= %(start)s), 0)::bigint AS sessions,
    coalesce(sum(visitors) FILTER (WHERE day >= %(start)s), 0)::bigint AS visitors,
    coalesce(sum(visitors) FILTER (WHERE day < %(start)s), 0)::bigint AS prev_visitors
FROM event_daily
WHERE day BETWEEN %(prev_start)s AND %(end)s
    AND {{kept}}
GROUP BY event_name ORDER BY events DESC, prev_events DESC, event_name;

-- The events that carry properties in the period, most frequent first (the breakdown's
-- choices), and the keys of the chosen one.
-- name: property_events
SELECT event_name FROM event_property_daily
WHERE day BETWEEN %(start)s AND %(end)s
    AND {{kept}}
GROUP BY event_name ORDER BY sum(events) DESC, event_name LIMIT 100;

-- name: property_keys
SELECT property FROM event_property_daily
WHERE day BETWEEN %(start)s AND %(end)s AND event_name = %(event)s
    AND {{kept}}
GROUP BY property ORDER BY sum(events) DESC, property LIMIT 100;

-- name: property_values
SELECT value,
    coalesce(sum(events) FILTER (WHERE day >= %(start)s), 0)::bigint AS events,
    coalesce(sum(events) FILTER (WHERE day < %(start)s), 0)::bigint AS prev_events,
    coalesce(sum(sessions) FILTER (WHERE day >= %(start)s), 0)::bigint AS sessions
FROM event_property_daily
WHERE day BETWEEN %(prev_start)s AND %(end)s AND event_name = %(event)s
    AND property = %(property)s
    AND {{kept}}
GROUP BY value ORDER BY events DESC, prev_events DESC, value LIMIT %(limit)s;

-- Every defined goal (zero when nothing completed it), with the period's sessions for the
-- conversion rate: sessions with a completion per session.
-- name: goals
WITH totals AS (
    SELECT coalesce(sum(sessions) FILTER (WHERE day >= %(start)s), 0)::bigint AS sessions,
        coalesce(sum(sessions) FILTER (WHERE day < %(start)s), 0)::bigint AS prev_sessions
    FROM daily_kpis
    WHERE day BETWEEN %(prev_start)s AND %(end)s
        AND {{kept}}
), done AS (
    SELECT goal,
        coalesce(sum(completions) FILTER (WHERE day >= %(start)s), 0)::bigint AS completions,
        coalesce(sum(completions) FILTER (WHERE day < %(start)s), 0)::bigint
            AS prev_completions,
        coalesce(sum(sessions) FILTER (WHERE day >= %(start)s), 0)::bigint AS converting,
        coalesce(sum(sessions) FILTER (WHERE day < %(start)s), 0)::bigint AS prev_converting
    FROM goal_daily
    WHERE day BETWEEN %(prev_start)s AND %(end)s
        AND {{kept}}
    GROUP BY goal
)
SELECT g.name AS goal, coalesce(d.completions, 0) AS completions,
    coalesce(d.prev_completions, 0) AS prev_completions,
    coalesce(d.converting, 0) AS converting, coalesce(d.prev_converting, 0) AS prev_converting,
    t.sessions, t.prev_sessions
FROM goals AS g CROSS JOIN totals AS t LEFT JOIN done AS d ON d.goal = g.name
ORDER BY completions DESC, g.name;
