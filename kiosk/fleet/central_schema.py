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

-- One row per enrolled kiosk; its id is its database role and its certificate's CN.
CREATE TABLE fleet.kiosk (
  kiosk_id text PRIMARY KEY CHECK (kiosk_id ~ '^[a-z0-9][a-z0-9-]{{0,62}}$'),
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
  key_id text NOT NULL,
  payload_sha256 bytea NOT NULL CHECK (length(payload_sha256) = 32),
  sealed_payload bytea NOT NULL CHECK (length(sealed_payload) BETWEEN 48 AND 65536)
);
CREATE INDEX request_received ON fleet.request (received_at);

-- The latest heartbeat of each kiosk; last_seen is the server's clock, never the kiosk's.
CREATE TABLE fleet.kiosk_status (
  kiosk_id text PRIMARY KEY REFERENCES fleet.kiosk,
  last_seen timestamptz NOT NULL,
  clock_skew_s double precision NOT NULL,
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

-- One batch, one transaction; a receipt per request: stored, duplicate (the same bytes
-- from the same kiosk already here), retry (another session is storing it right now) or
-- conflict (that id holds something else, or the bytes do not match their hash or size:
-- the kiosk quarantines it). One bad request never fails the others.
CREATE FUNCTION fleet.ingest_batch(
  p_ids uuid[], p_created timestamptz[], p_key_ids text[], p_sha bytea[], p_payload bytea[]
) RETURNS TABLE (request_id uuid, outcome text)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = fleet, pg_temp AS $$
#variable_conflict use_column
DECLARE
  me text := _active_kiosk();
BEGIN
  IF cardinality(p_ids) > 500 THEN
    RAISE EXCEPTION 'a batch holds at most 500 requests' USING ERRCODE = '22023';
  END IF;
  RETURN QUERY
  WITH input AS (
    SELECT * FROM unnest(p_ids, p_created, p_key_ids, p_sha, p_payload)
      AS t(id, created, key_id, sha, payload)
  ),
  ins AS (
    INSERT INTO request AS r
      (request_id, kiosk_id, created_at_kiosk, key_id, payload_sha256, sealed_payload)
    SELECT i.id, me, i.created, i.key_id, i.sha, i.payload FROM input i
    WHERE sha256(i.payload) = i.sha AND length(i.payload) BETWEEN 48 AND 65536
    ON CONFLICT (request_id) DO NOTHING
    RETURNING r.request_id
  )
  SELECT i.id,
         CASE WHEN ins.request_id IS NOT NULL THEN 'stored'
              WHEN sha256(i.payload) <> i.sha
                OR length(i.payload) NOT BETWEEN 48 AND 65536 THEN 'conflict'
              WHEN old.request_id IS NULL THEN 'retry'
              WHEN old.payload_sha256 = i.sha AND old.kiosk_id = me THEN 'duplicate'
              ELSE 'conflict' END
  FROM input i
  LEFT JOIN ins ON ins.request_id = i.id
  LEFT JOIN request old ON old.request_id = i.id;  -- the statement's snapshot: rows before it
END $$;

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
  VALUES (me, now(), extract(epoch FROM p_kiosk_clock - now()), left(p_app_version, 40),
    left(p_content_version, 40), greatest(p_outbox_pending, 0),
    greatest(p_oldest_pending_s, 0), left(p_last_error_code, 40))
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
)
