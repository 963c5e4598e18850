-- The data parts a merge or a mutation replaced (Outdated: another part holds their rows), no query holding
-- them, replaced at least {lifetime_seconds} ago (remove_time: when the part was replaced, or for a part found
-- replaced when the engine opened, its directory's modification time). A ClickHouse server removes these
-- itself; chDB never does (see src/engines/replaced-parts.ts).
SELECT path
FROM system.parts
WHERE _state = 'Outdated' AND refcount = 1 AND remove_time <= now() - {lifetime_seconds:UInt32}
ORDER BY path
