-- The latest state of every event across all partitions of an output (DuckDB).
-- {output} is the job's --output folder (local path or gs://, with DuckDB's httpfs for gs://).
-- An event id that a later night merged into another (event_merges) reads as that other id; each
-- event's newest partition row carries its cumulative first_seen_dt and total_* columns.
WITH merges AS (
    SELECT merged_event_id, into_event_id
    FROM read_parquet('{output}/event_merges/*/*.parquet', hive_partitioning = true)
),
events AS (
    SELECT coalesce(m.into_event_id, e.event_id) AS resolved_event_id, e.*
    FROM read_parquet('{output}/events/*/*.parquet', hive_partitioning = true, union_by_name = true) e
    LEFT JOIN merges m ON e.event_id = m.merged_event_id
)
SELECT *
FROM events
QUALIFY row_number() OVER (PARTITION BY resolved_event_id ORDER BY dt DESC, event_id = resolved_event_id DESC) = 1
ORDER BY first_seen_dt, resolved_event_id
