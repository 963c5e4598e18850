SELECT count() AS tables FROM system.tables WHERE database IN ('catalog', 'bronze', 'silver', 'gold')
