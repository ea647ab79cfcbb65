-- Products: top products, categories and brands by views, cart adds, purchases and revenue.
-- Rows come from every product line of an event (its `items`, or its `product`); product ''
-- holds what orders earned beyond their lines (see docs/dashboard.md), so revenue summed over
-- products is Overview's revenue.
-- `rank` is one of the allow-listed metric names and only picks a prepared statement.

-- name: kpis
SELECT CASE WHEN day >= %(start)s THEN 'current' ELSE 'previous' END AS period,
    sum(views)::bigint AS views, sum(cart_adds)::bigint AS cart_adds,
    sum(purchases)::bigint AS purchases, sum(revenue) AS revenue,
    sum(units)::bigint AS units, sum(cart_units)::bigint AS cart_units
FROM product_daily
WHERE day BETWEEN %(prev_start)s AND %(end)s
    AND {{kept}}
GROUP BY 1;

-- name: top_products
SELECT product_id, max(name) AS name, max(category) AS category, max(brand) AS brand,
    sum(views)::bigint AS views, sum(cart_adds)::bigint AS cart_adds,
    sum(purchases)::bigint AS purchases, sum(revenue) AS revenue,
    sum(units)::bigint AS units, sum(cart_units)::bigint AS cart_units
FROM product_daily
WHERE day BETWEEN %(start)s AND %(end)s
    AND {{kept}}
GROUP BY product_id
ORDER BY CASE %(rank)s WHEN 'views' THEN sum(views)::numeric
        WHEN 'cart_adds' THEN sum(cart_adds) WHEN 'purchases' THEN sum(purchases)
        ELSE sum(revenue) END DESC, product_id
LIMIT %(limit)s;

-- name: categories
SELECT coalesce(category, '(none)') AS category, sum(views)::bigint AS views,
    sum(cart_adds)::bigint AS cart_adds, sum(purchases)::bigint AS purchases,
    sum(revenue) AS revenue, sum(units)::bigint AS units, sum(cart_units)::bigint AS cart_units
FROM product_daily
WHERE day BETWEEN %(start)s AND %(end)s
    AND {{kept}}
GROUP BY 1 ORDER BY revenue DESC, views DESC, 1
LIMIT %(limit)s;

-- name: brands
SELECT coalesce(brand, '(none)') AS brand, sum(views)::bigint AS views,
    sum(cart_adds)::bigint AS cart_adds, sum(purchases)::bigint AS purchases,
    sum(revenue) AS revenue, sum(units)::bigint AS units, sum(cart_units)::bigint AS cart_units
FROM product_daily
WHERE day BETWEEN %(start)s AND %(end)s
    AND {{kept}}
GROUP BY 1 ORDER BY revenue DESC, views DESC, 1
LIMIT %(limit)s;
