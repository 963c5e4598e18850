-- gold.rpt_daily_summary over the span's dates. Money leaves as decimal text with two places (the value
-- rounded to the cent), so the page shows what ClickHouse holds without a second rounding in JavaScript.
SELECT toString(event_date) AS event_date, total_events, unique_users, revenue_events,
       toDecimalString(total_revenue, 2) AS total_revenue,
       toDecimalString(avg_value, 2) AS avg_value
FROM gold.rpt_daily_summary FINAL
WHERE event_date >= {from_date:Date}
ORDER BY event_date
