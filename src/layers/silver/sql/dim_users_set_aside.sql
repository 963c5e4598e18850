-- Sets the dimension of the earlier layout aside, so that create_tables creates it anew (atomic).
RENAME TABLE silver.dim_users TO silver.dim_users_previous_layout /*ON CLUSTER*/
