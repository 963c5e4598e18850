-- Builds a projection for the parts written before it existed (a background mutation; reads are exact
-- meanwhile: a part without it is read directly).
ALTER TABLE silver.fact_events /*ON CLUSTER*/ MATERIALIZE PROJECTION {{projection}}
