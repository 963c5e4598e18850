-- Builds the user_totals projection for the parts written before it existed (a background mutation).
ALTER TABLE silver.fact_events /*ON CLUSTER*/ MATERIALIZE PROJECTION user_totals
