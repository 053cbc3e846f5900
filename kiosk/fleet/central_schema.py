"""The central PostgreSQL's schema, as numbered migrations applied once each, in order.

Everything lives in the ``fleet`` schema. Kiosks log in as their own role (the common name
of their client certificate), members of ``kiosk_fleet``, which may only EXECUTE the two
functions below: no kiosk can read or change a table, or write as another kiosk (the
functions take the kiosk's identity from ``session_user``, which the certificate fixed).
The server stores what kiosks sealed to the clinic's public key, and never the key that
opens it.
"""

from __future__ import annotations

from typing import NamedTuple

# The group role kiosk roles belong to (cluster-wide: one central database per cluster).
KIOSK_GROUP = "kiosk_fleet"


class Migration(NamedTuple):
    version: int
    name: str
    sql: str


_INGEST_V1 = """
-- One batch, one transaction; a receipt per request: stored, duplicate (the same bytes
-- from the same kiosk already here), retry (another session is storing it right now) or
-- conflict (that id holds something else; or the request is malformed: an id twice in the
-- batch, a missing field, bytes that do not match their hash or size. The kiosk
-- quarantines it). One bad request never fails the others.
CREATE FUNCTION fleet.ingest_batch(
  p_ids uuid[], p_created timestamptz[], p_key_ids text[], p_sha bytea[], p_payload bytea[]
) RETURNS TABLE (request_id uuid, outcome text)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = fleet, pg_temp AS $$
#variable_conflict use_column
DECLARE
  me text := _active_kiosk();
  n integer := coalesce(cardinality(p_ids), 0);
BEGIN
  IF n > 500 THEN
    RAISE EXCEPTION 'a batch holds at most 500 requests' USING ERRCODE = '22023';
  END IF;
  IF coalesce(cardinality(p_created), 0) <> n OR coalesce(cardinality(p_key_ids), 0) <> n
     OR coalesce(cardinality(p_sha), 0) <> n OR coalesce(cardinality(p_payload), 0) <> n THEN
    RAISE EXCEPTION 'the arrays of a batch must be equally long' USING ERRCODE = '22023';
  END IF;
  RETURN QUERY
  WITH input AS (
    SELECT t.*,
           t.id IS NOT NULL AND count(*) OVER (PARTITION BY t.id) = 1
           AND t.created IS NOT NULL AND length(t.key_id) BETWEEN 1 AND 64
           AND length(t.payload) BETWEEN 48 AND 65536
           AND t.sha IS NOT NULL AND sha256(t.payload) = t.sha AS ok
    FROM unnest(p_ids, p_created, p_key_ids, p_sha, p_payload)
      AS t(id, created, key_id, sha, payload)
  ),
  ins AS (
    INSERT INTO request AS r
      (request_id, kiosk_id, created_at_kiosk, key_id, payload_sha256, sealed_payload)
    SELECT i.id, me, i.created, i.key_id, i.sha, i.payload FROM input i WHERE i.ok
    ON CONFLICT (request_id) DO NOTHING
    RETURNING r.request_id
  )
  SELECT i.id,
         CASE WHEN ins.request_id IS NOT NULL THEN 'stored'
              WHEN i.ok IS NOT TRUE THEN 'conflict'
              WHEN old.request_id IS NULL THEN 'retry'
              WHEN old.payload_sha256 = i.sha AND old.kiosk_id = me THEN 'duplicate'
              ELSE 'conflict' END
  FROM input i
  LEFT JOIN ins ON ins.request_id = i.id
  LEFT JOIN request old ON old.request_id = i.id;  -- the statement's snapshot: rows before it
END $$;
"""

MIGRATIONS: tuple[Migration, ...] = (
    Migration(
        1,
        "requests, kiosks, heartbeats, audit, fleet_health",
        f"""
DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '{KIOSK_GROUP}') THEN
    CREATE ROLE {KIOSK_GROUP} NOLOGIN;
  END IF;
END $$;

CREATE SCHEMA fleet;
REVOKE ALL ON SCHEMA fleet FROM PUBLIC;
GRANT USAGE ON SCHEMA fleet TO {KIOSK_GROUP};
-- Functions later migrations add are no one's to call until granted; no temporary tables.
ALTER DEFAULT PRIVILEGES IN SCHEMA fleet REVOKE EXECUTE ON FUNCTIONS FROM PUBLIC;
DO $$
BEGIN
  EXECUTE format('REVOKE TEMPORARY ON DATABASE %I FROM PUBLIC', current_database());
END $$;

-- One row per enrolled kiosk; its id is its database role and its certificate's CN.
CREATE TABLE fleet.kiosk (
  -- The kiosk's kiosk_id setting; at most 63 bytes, PostgreSQL's longest role name.
  kiosk_id text PRIMARY KEY CHECK (kiosk_id ~ '^[A-Za-z0-9._-]{{1,63}}$'),
  site text NOT NULL DEFAULT '',
  active boolean NOT NULL DEFAULT true,
  enrolled_at timestamptz NOT NULL DEFAULT now(),
  deactivated_at timestamptz
);

-- Requests as the kiosks sealed them: only the clinic's private key opens sealed_payload.
CREATE TABLE fleet.request (
  request_id uuid PRIMARY KEY,
  kiosk_id text NOT NULL REFERENCES fleet.kiosk,
  created_at_kiosk timestamptz NOT NULL,
  received_at timestamptz NOT NULL DEFAULT now(),
  key_id text NOT NULL CHECK (length(key_id) BETWEEN 1 AND 64),
  payload_sha256 bytea NOT NULL CHECK (length(payload_sha256) = 32),
  sealed_payload bytea NOT NULL CHECK (length(sealed_payload) BETWEEN 48 AND 65536)
);
CREATE INDEX request_received ON fleet.request (received_at);
CREATE INDEX request_by_kiosk ON fleet.request (kiosk_id, received_at);

-- The latest heartbeat of each kiosk; last_seen is the server's clock, never the kiosk's.
CREATE TABLE fleet.kiosk_status (
  kiosk_id text PRIMARY KEY REFERENCES fleet.kiosk,
  last_seen timestamptz NOT NULL,
  clock_skew_s double precision,
  app_version text NOT NULL,
  content_version text NOT NULL,
  outbox_pending integer NOT NULL,
  oldest_pending_s integer NOT NULL,
  last_error_code text NOT NULL DEFAULT ''
);

CREATE TABLE fleet.audit (
  id bigserial PRIMARY KEY,
  at timestamptz NOT NULL DEFAULT now(),
  kiosk_id text,
  event text NOT NULL,
  detail jsonb NOT NULL DEFAULT '{{}}'
);

CREATE FUNCTION fleet._active_kiosk() RETURNS text
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = fleet, pg_temp AS $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM kiosk k WHERE k.kiosk_id = session_user AND k.active) THEN
    RAISE EXCEPTION 'kiosk % is not active', session_user USING ERRCODE = '28000';
  END IF;
  RETURN session_user;
END $$;

{_INGEST_V1}
-- What a kiosk says of itself is shown to IT: versions and error codes, one plain word.
CREATE FUNCTION fleet._word(p text) RETURNS text
LANGUAGE sql IMMUTABLE SET search_path = pg_catalog AS $$
  SELECT regexp_replace(left(coalesce(p, ''), 40), '[^A-Za-z0-9._+-]', '?', 'g')
$$;

CREATE FUNCTION fleet.kiosk_heartbeat(
  p_kiosk_clock timestamptz, p_app_version text, p_content_version text,
  p_outbox_pending integer, p_oldest_pending_s integer, p_last_error_code text
) RETURNS timestamptz
LANGUAGE plpgsql SECURITY DEFINER SET search_path = fleet, pg_temp AS $$
DECLARE
  me text := _active_kiosk();
BEGIN
  INSERT INTO kiosk_status AS s (kiosk_id, last_seen, clock_skew_s, app_version,
    content_version, outbox_pending, oldest_pending_s, last_error_code)
  VALUES (me, now(), extract(epoch FROM p_kiosk_clock - now()), _word(p_app_version),
    _word(p_content_version), greatest(coalesce(p_outbox_pending, 0), 0),
    greatest(coalesce(p_oldest_pending_s, 0), 0), _word(p_last_error_code))
  ON CONFLICT (kiosk_id) DO UPDATE SET last_seen = excluded.last_seen,
    clock_skew_s = excluded.clock_skew_s, app_version = excluded.app_version,
    content_version = excluded.content_version, outbox_pending = excluded.outbox_pending,
    oldest_pending_s = excluded.oldest_pending_s, last_error_code = excluded.last_error_code;
  RETURN now();
END $$;

REVOKE ALL ON ALL TABLES IN SCHEMA fleet FROM PUBLIC;
REVOKE ALL ON ALL SEQUENCES IN SCHEMA fleet FROM PUBLIC;
REVOKE ALL ON ALL FUNCTIONS IN SCHEMA fleet FROM PUBLIC;
GRANT EXECUTE ON FUNCTION fleet.ingest_batch(uuid[], timestamptz[], text[], bytea[], bytea[])
  TO {KIOSK_GROUP};
GRANT EXECUTE ON FUNCTION fleet.kiosk_heartbeat(timestamptz, text, text, integer, integer, text)
  TO {KIOSK_GROUP};

-- Every active kiosk, one line each: ok, late (no heartbeat for 15 minutes), silent (an
-- hour), clock (more than 5 minutes off), backlog (a request waiting over a day), never.
CREATE VIEW fleet.fleet_health AS
SELECT k.kiosk_id, k.site, s.last_seen, s.clock_skew_s, s.app_version, s.content_version,
       s.outbox_pending, s.oldest_pending_s, s.last_error_code,
       (SELECT max(r.received_at) FROM fleet.request r WHERE r.kiosk_id = k.kiosk_id)
         AS last_delivery,
       CASE WHEN s.last_seen IS NULL THEN 'never'
            WHEN s.last_seen < now() - interval '1 hour' THEN 'silent'
            WHEN s.last_seen < now() - interval '15 minutes' THEN 'late'
            WHEN abs(s.clock_skew_s) > 300 THEN 'clock'
            WHEN s.oldest_pending_s > 86400 THEN 'backlog'
            ELSE 'ok' END AS status
FROM fleet.kiosk k LEFT JOIN fleet.kiosk_status s USING (kiosk_id)
WHERE k.active;
REVOKE ALL ON fleet.fleet_health FROM PUBLIC;
""",
    ),
    Migration(
        2,
        "the same bytes under the same id from another kiosk are a duplicate",
        # A kiosk's database copied onto another, or restored from a backup: the server
        # already holds these very bytes (still the first sender's row), so the kiosk may let
        # its copy go. "Conflict" had it quarantined, and sent again under a new id: twice.
        "-- (version 2: the same bytes from any kiosk are a duplicate)\n"
        + _INGEST_V1.replace("CREATE FUNCTION", "CREATE OR REPLACE FUNCTION", 1).replace(
            "WHEN old.payload_sha256 = i.sha AND old.kiosk_id = me THEN 'duplicate'",
            "WHEN old.payload_sha256 = i.sha THEN 'duplicate'",
        ),
    ),
)
