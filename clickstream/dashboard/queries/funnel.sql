-- Funnel: sessions reaching each step in order (page_view -> product_view -> add_to_cart ->
-- begin_checkout -> purchase), for the period and the one before, overall and by login state.
-- With a channel, country or device chosen, from the matching sessions (as overview.sql).

-- name: steps
SELECT CASE WHEN day >= %(start)s THEN 'current' ELSE 'previous' END AS period,
    login_state,
    sum(sessions)::bigint AS sessions,
    sum(reached_page_view)::bigint AS page_view,
    sum(reached_product_view)::bigint AS product_view,
    sum(reached_add_to_cart)::bigint AS add_to_cart,
    sum(reached_begin_checkout)::bigint AS begin_checkout,
    sum(reached_purchase)::bigint AS purchase
FROM (
    SELECT day, login_state, sessions, reached_page_view, reached_product_view,
        reached_add_to_cart, reached_begin_checkout, reached_purchase
    FROM funnel_daily
    WHERE day BETWEEN %(prev_start)s AND %(end)s
        AND {{kept}}
        AND {{no_dimension}}
    UNION ALL
    SELECT day, login_state, 1, (page_views > 0)::int,
        (page_views > 0 AND product_views > 0)::int,
        (page_views > 0 AND product_views > 0 AND cart_adds > 0)::int,
        (page_views > 0 AND product_views > 0 AND cart_adds > 0 AND checkouts > 0)::int,
        (page_views > 0 AND product_views > 0 AND cart_adds > 0 AND checkouts > 0
            AND purchases > 0)::int
    FROM sessions
    WHERE day BETWEEN %(prev_start)s AND %(end)s
        AND {{kept}}
        AND {{some_dimension}}
        AND {{dimensions}}
) AS f
GROUP BY 1, 2;
