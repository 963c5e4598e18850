SELECT count() > 0 AS present FROM system.tables WHERE database = 'catalog' AND name = {table:String}
