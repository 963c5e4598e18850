-- Puts the copied dimension in place, atomically: silver.dim_users_next then holds the earlier layout.
EXCHANGE TABLES silver.dim_users AND silver.dim_users_next /*ON CLUSTER*/
