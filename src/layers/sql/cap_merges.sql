-- A table's merges limited to {bytes} of parts (compressed) at most: parts that big are merged no further.
ALTER TABLE {{database}}.{{table}} MODIFY SETTING max_bytes_to_merge_at_max_space_in_pool = {bytes:UInt64}
