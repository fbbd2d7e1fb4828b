-- The fixture of acceptance-test-config.yml: the TimescaleDB fixture ("ts") of
-- tests/airbyte/acceptance_test.py (TS_FIXTURE) in the schema tsdb_cat, which
-- //tests/airbyte:acceptance_config_test keeps identical to it. Run it once on a
-- TimescaleDB (2.x, with compression) before Airbyte's connector acceptance tests:
--   psql -v ON_ERROR_STOP=1 -d postgres -f integration_tests/seed.sql
-- Its data is fixed (generate_series), so expected_records.jsonl and the catalogs hold.
CREATE SCHEMA tsdb_cat;
CREATE TABLE tsdb_cat.conditions (
  time timestamptz NOT NULL, device int NOT NULL, temperature float8, humidity numeric(5,2),
  note text);
SELECT create_hypertable('tsdb_cat.conditions', 'time', chunk_time_interval => interval '1 day');
INSERT INTO tsdb_cat.conditions
  SELECT '2024-01-01'::timestamptz + i * interval '4 hours', i % 3, 20 + i * 0.5,
         40 + (i % 7), CASE WHEN i % 4 = 0 THEN 'check ' || i END
  FROM generate_series(0, 29) i;
ALTER TABLE tsdb_cat.conditions SET (timescaledb.compress, timescaledb.compress_segmentby = 'device');
SELECT count(compress_chunk(c))
  FROM show_chunks('tsdb_cat.conditions', older_than => '2024-01-03'::timestamptz) c;
CREATE TABLE tsdb_cat.counters (tick bigint NOT NULL, name text NOT NULL, total bigint);
SELECT create_hypertable('tsdb_cat.counters', 'tick', chunk_time_interval => 100);
INSERT INTO tsdb_cat.counters SELECT i * 40, 'c' || (i % 2), i * 1000000000000 FROM generate_series(0, 9) i;
CREATE TABLE tsdb_cat.devices (id int PRIMARY KEY, name text NOT NULL, installed date);
INSERT INTO tsdb_cat.devices VALUES (0, 'north', '2023-12-01'), (1, 'south', '2023-12-02'),
  (2, 'east', NULL);
CREATE MATERIALIZED VIEW tsdb_cat.conditions_daily WITH (timescaledb.continuous) AS
  SELECT time_bucket('1 day', time) AS bucket, device, avg(temperature) AS avg_temperature
  FROM tsdb_cat.conditions GROUP BY 1, 2 WITH NO DATA;
CALL refresh_continuous_aggregate('tsdb_cat.conditions_daily', NULL, NULL);
