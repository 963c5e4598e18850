-- Drops the dimension of the earlier layout once its rows are copied.
DROP TABLE IF EXISTS silver.dim_users_previous_layout /*ON CLUSTER*/ SYNC
