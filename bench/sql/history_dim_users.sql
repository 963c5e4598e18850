-- History for the benchmark: one current version of every user silver holds, from the first history window
-- on, with its type-1 totals recomputed from silver (as user_totals does) and as type-2 attributes the user's
-- most frequent category and source over all of its events (ties alphabetical, as user_profiles breaks them).
-- The pipeline would also have closed a few versions on the way; the windows benchmarked after the history
-- rebuild each user's chain from this version, as they would from any.
INSERT INTO silver.dim_users (user_name, primary_category, primary_source, valid_from, valid_to, is_current, last_seen_date, total_events, total_value, is_revenue_user, _version, _is_deleted)
SELECT
    user_name,
    (sumMap([category], [events]) AS by_category).1[indexOf(by_category.2, arrayMax(by_category.2))] AS primary_category,
    (sumMap([source], [events]) AS by_source).1[indexOf(by_source.2, arrayMax(by_source.2))] AS primary_source,
    {first_window:DateTime('UTC')} AS valid_from,
    toDateTime('2106-02-07 06:28:15', 'UTC') AS valid_to,
    1 AS is_current,
    max(last_seen) AS last_seen_date,
    sum(events) AS total_events,
    toFloat64(sum(value)) AS total_value,
    max(revenue_events) > 0 AS is_revenue_user,
    {version:UInt64} AS _version,
    0 AS _is_deleted
FROM
(
    SELECT user_name, toString(category) AS category, toString(source) AS source, count() AS events,
           max(event_date) AS last_seen, sum(value) AS value, sum(is_revenue) AS revenue_events
    FROM silver.fact_events
    GROUP BY user_name, category, source
)
GROUP BY user_name
