SELECT concat(database, '.', name) AS table FROM system.tables WHERE database IN ('catalog', 'bronze', 'silver', 'gold') ORDER BY table
