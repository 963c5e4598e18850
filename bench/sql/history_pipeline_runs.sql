-- History for the benchmark: a `success` row in catalog.pipeline_runs for every history window in [from, to),
-- so that a run of the range treats them as done, with the counts complete_pipeline_run would have written:
-- bronze and quarantined rows, the events the batch registered (silver_new), the valid rows repeating an id of
-- the batch (duplicates) or registered by an earlier one (already in silver), the versions dim_users opens
-- at the window, the touched hours and dates and the gold rows of those hours. Versions closed by a type-2
-- change are 0: the history's dim_users has none (history_dim_users.sql).
INSERT INTO catalog.pipeline_runs
    (run_id, window_start, window_end, status, framework, started_at, finished_at, failed_task, error,
     bronze_rows, quarantined_rows, silver_new_rows, duplicate_rows, already_in_silver_rows,
     dim_users_new, dim_users_updated, gold_hourly_rows, gold_daily_rows, touched_hours, updated_at)
SELECT
    b._batch_id, b._window_start, b._window_start + toIntervalHour(1), 'success', {framework:String}, now64(3), now64(3), '', '',
    b.bronze_rows, b.quarantined_rows, e.silver_new_rows, b.valid_rows - b.distinct_ids, b.distinct_ids - e.silver_new_rows,
    d.opened, 0, b.gold_hourly_rows, b.touched_dates, b.touched_hours, now64(6)
FROM
(
    SELECT
        _batch_id,
        any(_window_start) AS _window_start,
        any(bronze_rows) AS bronze_rows,
        any(quarantined_rows) AS quarantined_rows,
        any(valid_rows) AS valid_rows,
        any(distinct_ids) AS distinct_ids,
        countIf(toUnixTimestamp(hour) > 0) AS touched_hours,
        uniqExactIf(toDate(hour), toUnixTimestamp(hour) > 0) AS touched_dates,
        sum(g.rows) AS gold_hourly_rows
    FROM
    (
        SELECT _batch_id, _window_start, bronze_rows, quarantined_rows, valid_rows, distinct_ids, hour
        FROM
        (
            SELECT
                _batch_id,
                _window_start,
                count() AS bronze_rows,
                countIf(_rejection_reason != '') AS quarantined_rows,
                countIf(_rejection_reason = '') AS valid_rows,
                uniqExactIf((cityHash64(event_id), xxHash32(event_id)), _rejection_reason = '') AS distinct_ids,
                groupUniqArrayIf(toStartOfHour(event_time), _rejection_reason = '') AS hours
            FROM bronze.stg_events
            WHERE _window_start >= {from:DateTime('UTC')} AND _window_start < {to:DateTime('UTC')}
            GROUP BY _batch_id, _window_start
        )
        LEFT ARRAY JOIN hours AS hour
    ) AS bh
    LEFT JOIN
    (
        SELECT toDateTime(event_date, 'UTC') + toIntervalHour(event_hour) AS hour, count() AS rows
        FROM gold.agg_events_hourly FINAL
        WHERE event_date BETWEEN toDate({from:DateTime('UTC')}) - 1 AND toDate({to:DateTime('UTC')})
        GROUP BY hour
    ) AS g ON g.hour = bh.hour
    GROUP BY _batch_id
) AS b
LEFT JOIN
(
    SELECT toString(_batch_id) AS _batch_id, count() AS silver_new_rows
    FROM silver.event_ids
    PREWHERE delivery_date BETWEEN toDate({from:DateTime('UTC')}) AND toDate({to:DateTime('UTC')} - toIntervalSecond(1))
    GROUP BY _batch_id
) AS e ON e._batch_id = b._batch_id
LEFT JOIN
(
    SELECT valid_from, count() AS opened FROM silver.dim_users FINAL GROUP BY valid_from
) AS d ON d.valid_from = b._window_start
SETTINGS join_use_nulls = 0
