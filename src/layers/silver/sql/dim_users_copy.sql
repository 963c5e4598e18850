-- Copies the dimension of the earlier layout (keyed by (user_name, valid_from)) into silver.dim_users_next,
-- created by the current DDL: its visible versions with their row versions, so that a copy cut short is
-- simply made again. Each user's chain is made contiguous on the way (a version ends where the next begins,
-- the last one is current), which leaves a consistent dimension as it is and turns what an interrupted
-- update of the earlier release left into a chain the next application of the window repairs.
INSERT INTO silver.dim_users_next (user_key, user_name, primary_category, primary_source, valid_from, valid_to, is_current, last_seen_date, total_events, total_value, is_revenue_user, _version, _is_deleted)
WITH toDateTime('2106-02-07 06:28:15', 'UTC') AS open_end
SELECT
    user_key,
    user_name,
    primary_category,
    primary_source,
    valid_from,
    leadInFrame(valid_from, 1, open_end) OVER (PARTITION BY user_name ORDER BY valid_from ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING) AS next_from,
    toUInt8(next_from = open_end) AS is_last,
    if(is_last, last_seen_date, toDate('1970-01-01')),
    if(is_last, total_events, 0),
    if(is_last, total_value, 0),
    if(is_last, is_revenue_user, 0),
    _version,
    0
FROM silver.dim_users FINAL
