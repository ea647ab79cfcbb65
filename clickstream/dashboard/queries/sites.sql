-- Sites: the registered sites the site selector offers, those of `sites` (the account's, NULL
-- for every site) only.

-- name: registered
SELECT site_id, name FROM sites
WHERE (%(sites)s::text[] IS NULL OR site_id = ANY(%(sites)s::text[]))
ORDER BY site_id;
