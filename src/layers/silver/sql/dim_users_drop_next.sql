-- Drops what an upgrade of the dimension leaves beside it: the earlier layout once exchanged, or a copy that
-- was cut short.
DROP TABLE IF EXISTS silver.dim_users_next /*ON CLUSTER*/ SYNC
