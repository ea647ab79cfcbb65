-- Funnel: sessions reaching each step in order (page_view -> product_view -> add_to_cart ->
-- begin_checkout -> purchase), for the period and the one before, overall and by login state.

-- name: steps
SELECT CASE WHEN day >= %(start)s THEN 'current' ELSE 'previous' END AS period,
    login_state,
    sum(sessions)::bigint AS sessions,
    sum(reached_page_view)::bigint AS page_view,
    sum(reached_product_view)::bigint AS product_view,
    sum(reached_add_to_cart)::bigint AS add_to_cart,
    sum(reached_begin_checkout)::bigint AS begin_checkout,
    sum(reached_purchase)::bigint AS purchase
FROM funnel_daily
WHERE day BETWEEN %(prev_start)s AND %(end)s
    AND (%(login)s::text IS NULL OR login_state = %(login)s) AND (%(bots)s OR NOT is_bot)
    AND (%(sites)s::text[] IS NULL OR site_id = ANY(%(sites)s::text[]))
GROUP BY 1, 2;
