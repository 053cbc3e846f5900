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

# The group role of the desk console's staff accounts (issue 22); each account's login role
# is STAFF_ROLE_PREFIX + its name ("staff:ayse"): a colon no kiosk id may hold, so a staff
# role and a kiosk role never share a name.
DESK_GROUP = "desk_staff"
STAFF_ROLE_PREFIX = "staff:"

_INGEST_V3 = """
-- As version 2, with each request's reference code (the random code the patient was shown:
-- no personal data; the desk finds a request by it) and the kiosk's site beside it. A
-- request destroyed here (deleted by staff, or at the end of its retention) is answered
-- "duplicate" when a kiosk sends it again (an answer lost on the way, a kiosk restored from
-- a backup): the kiosk lets its copy go, and the request never comes back.
CREATE FUNCTION fleet.ingest_batch(
  p_ids uuid[], p_created timestamptz[], p_key_ids text[], p_sha bytea[], p_payload bytea[],
  p_refs text[]
) RETURNS TABLE (request_id uuid, outcome text)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = fleet, pg_temp AS $$
#variable_conflict use_column
DECLARE
  me text := _active_kiosk();
  my_site text := (SELECT k.site FROM kiosk k WHERE k.kiosk_id = me);
  n integer := coalesce(cardinality(p_ids), 0);
BEGIN
  IF n > 500 THEN
    RAISE EXCEPTION 'a batch holds at most 500 requests' USING ERRCODE = '22023';
  END IF;
  IF coalesce(cardinality(p_created), 0) <> n OR coalesce(cardinality(p_key_ids), 0) <> n
     OR coalesce(cardinality(p_sha), 0) <> n OR coalesce(cardinality(p_payload), 0) <> n
     OR coalesce(cardinality(p_refs), 0) <> n THEN
    RAISE EXCEPTION 'the arrays of a batch must be equally long' USING ERRCODE = '22023';
  END IF;
  RETURN QUERY
  WITH input AS (
    SELECT t.*,
           t.id IS NOT NULL AND count(*) OVER (PARTITION BY t.id) = 1
           AND t.created IS NOT NULL AND length(t.key_id) BETWEEN 1 AND 64
           AND length(t.payload) BETWEEN 48 AND 65536
           AND t.sha IS NOT NULL AND sha256(t.payload) = t.sha
           AND (t.ref IS NULL OR t.ref ~ '^[A-Z2-9]{3}-[A-Z2-9]{3}$') AS ok,
           EXISTS (SELECT 1 FROM destroyed d WHERE d.request_id = t.id) AS gone
    FROM unnest(p_ids, p_created, p_key_ids, p_sha, p_payload, p_refs)
      AS t(id, created, key_id, sha, payload, ref)
  ),
  ins AS (
    INSERT INTO request AS r
      (request_id, kiosk_id, site, created_at_kiosk, key_id, payload_sha256, sealed_payload,
       reference)
    SELECT i.id, me, coalesce(my_site, ''), i.created, i.key_id, i.sha, i.payload, i.ref
    FROM input i WHERE i.ok AND NOT i.gone
    ON CONFLICT (request_id) DO NOTHING
    RETURNING r.request_id
  )
  SELECT i.id,
         CASE WHEN ins.request_id IS NOT NULL THEN 'stored'
              WHEN i.ok IS NOT TRUE THEN 'conflict'
              WHEN i.gone THEN 'duplicate'
              WHEN old.request_id IS NULL THEN 'retry'
              WHEN old.payload_sha256 = i.sha THEN 'duplicate'
              ELSE 'conflict' END
  FROM input i
  LEFT JOIN ins ON ins.request_id = i.id
  LEFT JOIN request old ON old.request_id = i.id;  -- the statement's snapshot: rows before it
END $$;

-- The release before sends no reference codes: the same, without them.
CREATE OR REPLACE FUNCTION fleet.ingest_batch(
  p_ids uuid[], p_created timestamptz[], p_key_ids text[], p_sha bytea[], p_payload bytea[]
) RETURNS TABLE (request_id uuid, outcome text)
LANGUAGE sql SECURITY DEFINER SET search_path = fleet, pg_temp AS $$
  SELECT * FROM fleet.ingest_batch(p_ids, p_created, p_key_ids, p_sha, p_payload,
    array_fill(NULL::text, ARRAY[coalesce(cardinality(p_ids), 0)]))
$$;
"""

# The columns of a request as the desk lists it (fleet.desk_page, desk_find, desk_export).
_DESK_ROW = """
  request_id uuid, reference text, kiosk_id text, site text, created_at_kiosk timestamptz,
  received_at timestamptz, status text, version integer, changed_by text,
  changed_at timestamptz, exported_at timestamptz, key_id text, sealed_payload bytea,
  note_sealed bytea"""
_DESK_SELECT = (
    "r.request_id, r.reference, r.kiosk_id, r.site, r.created_at_kiosk, r.received_at, "
    "r.status, r.version, r.changed_by, r.changed_at, r.exported_at, r.key_id, "
    "r.sealed_payload, r.note_sealed FROM fleet.request r"
)
# A desk list's filters, as EXECUTE ... USING passes them: $1 site, $2 kiosk, $3 status,
# $4 from, $5 to (the kiosk's times), $6 as of (received by then).
_FILTERS = "p_site, p_kiosk, p_status, p_from, p_to, p_asof"

_DESK_V3 = f"""
DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '{DESK_GROUP}') THEN
    CREATE ROLE {DESK_GROUP} NOLOGIN;
  END IF;
END $$;
GRANT USAGE ON SCHEMA fleet TO {DESK_GROUP};

-- The staff's work on a request. reference: the code the patient was shown; site: where the
-- kiosk stood when it sent the request. Everything personal stays in sealed_payload; a staff
-- note is sealed at the desk to the same key. status: new, exported (written to a file),
-- contacted; version: optimistic concurrency, raised by every change a person makes;
-- reached_at: when it first reached the staff (exported or contacted), the start of its
-- retention.
ALTER TABLE fleet.request
  ADD COLUMN reference text CHECK (reference ~ '^[A-Z2-9]{{3}}-[A-Z2-9]{{3}}$'),
  ADD COLUMN site text NOT NULL DEFAULT '',
  ADD COLUMN status text NOT NULL DEFAULT 'new'
    CHECK (status IN ('new', 'exported', 'contacted')),
  ADD COLUMN version integer NOT NULL DEFAULT 1,
  ADD COLUMN note_sealed bytea CHECK (length(note_sealed) BETWEEN 48 AND 8192),
  ADD COLUMN changed_by text,
  ADD COLUMN changed_at timestamptz,
  ADD COLUMN exported_at timestamptz,
  ADD COLUMN reached_at timestamptz;
UPDATE fleet.request r SET site = k.site FROM fleet.kiosk k WHERE k.kiosk_id = r.kiosk_id;
-- A list is always in the kiosk's time; each filter the desk offers leads an index of its
-- own, so a page of any list is an index range, whatever its size (two filters: the first's
-- range, the other checked on the way). No more than that: every index is written again
-- when an export marks a hundred thousand requests. (Version 1's index on received_at
-- served nothing any more.)
DROP INDEX fleet.request_received;
CREATE INDEX request_reference ON fleet.request (reference);
CREATE INDEX request_created ON fleet.request (created_at_kiosk, request_id);
CREATE INDEX request_status_created ON fleet.request (status, created_at_kiosk, request_id);
CREATE INDEX request_kiosk_created ON fleet.request (kiosk_id, created_at_kiosk, request_id);
CREATE INDEX request_site_created ON fleet.request (site, created_at_kiosk, request_id);
CREATE INDEX request_reached ON fleet.request (reached_at) WHERE reached_at IS NOT NULL;

-- The ids of destroyed requests (nothing else): a kiosk sending one again is told the
-- server has it, so it never comes back. Kept a year past the longest retention.
CREATE TABLE fleet.destroyed (
  request_id uuid PRIMARY KEY,
  at timestamptz NOT NULL DEFAULT now()
);

-- Desk accounts. Each signs in as its own login role (STAFF_ROLE_PREFIX || account), with a
-- password derived, like the key below, from the account's passphrase by Argon2id on the
-- desk (kiosk.crypto.desk_credentials): the server never sees the passphrase, and holds
-- the clinic's private key only wrapped under it.
CREATE TABLE fleet.staff_account (
  account text PRIMARY KEY CHECK (account ~ '^[a-z][a-z0-9._-]{{0,39}}$'),
  display_name text NOT NULL DEFAULT '' CHECK (length(display_name) <= 80),
  is_admin boolean NOT NULL DEFAULT false,
  active boolean NOT NULL DEFAULT true,
  key_id text NOT NULL CHECK (length(key_id) BETWEEN 1 AND 64),
  opslimit integer NOT NULL,
  memlimit bigint NOT NULL,
  wrapped_private_key bytea NOT NULL CHECK (length(wrapped_private_key) = 72),
  passcode_rules integer NOT NULL DEFAULT 0,
  -- Set by an administrator's add or reset: until the account's owner has chosen a
  -- passphrase of their own, it can do nothing else (whoever read the one-time passphrase
  -- must not act under their name).
  must_change boolean NOT NULL DEFAULT true,
  created_at timestamptz NOT NULL DEFAULT now(),
  changed_at timestamptz NOT NULL DEFAULT now(),
  disabled_at timestamptz
);

-- The central retention's periods (the clinic's, as its kiosks' retention_days and
-- unexported_max_days), set with `kiosk desk retention`.
CREATE TABLE fleet.setting (
  name text PRIMARY KEY,
  value integer NOT NULL CHECK (value BETWEEN 1 AND 3650)
);
INSERT INTO fleet.setting VALUES ('retention_days', 30), ('unexported_max_days', 90);

-- What retention and staff destroyed: when, how many, why. Never which request.
CREATE TABLE fleet.destruction (
  id bigserial PRIMARY KEY,
  at timestamptz NOT NULL DEFAULT now(),
  count integer NOT NULL,
  reason text NOT NULL,
  account text
);

ALTER TABLE fleet.audit ADD COLUMN account text;
CREATE INDEX audit_at ON fleet.audit (at);

REVOKE ALL ON ALL TABLES IN SCHEMA fleet FROM PUBLIC;
REVOKE ALL ON ALL SEQUENCES IN SCHEMA fleet FROM PUBLIC;

{_INGEST_V3}

-- The signed-in staff account (p_first: also one still on its one-time passphrase), or an
-- error that ends the desk's session: no such account, or disabled (at its very next call,
-- not its next sign-in).
CREATE FUNCTION fleet._staff(p_first boolean DEFAULT false) RETURNS text
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = fleet, pg_temp AS $$
DECLARE
  who text;
  first boolean;
BEGIN
  SELECT a.account, a.must_change INTO who, first FROM staff_account a
  WHERE '{STAFF_ROLE_PREFIX}' || a.account = session_user AND a.active;
  IF who IS NULL THEN
    RAISE EXCEPTION 'this desk account is disabled or unknown' USING ERRCODE = '28000';
  END IF;
  IF first AND NOT p_first THEN
    RAISE EXCEPTION 'choose a passphrase of your own first' USING ERRCODE = '42501';
  END IF;
  RETURN who;
END $$;

CREATE FUNCTION fleet._desk_audit(p_account text, p_event text, p_detail jsonb) RETURNS void
LANGUAGE sql SECURITY DEFINER SET search_path = fleet, pg_temp AS $$
  INSERT INTO audit (account, event, detail) VALUES (p_account, p_event, p_detail)
$$;

-- The signed-in account and its wrapped key; the desk's sign-in ("open") is audited here.
CREATE FUNCTION fleet.desk_me() RETURNS TABLE (
  account text, display_name text, is_admin boolean, key_id text, opslimit integer,
  memlimit bigint, wrapped_private_key bytea, passcode_rules integer, must_change boolean
)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = fleet, pg_temp AS $$
DECLARE
  me text := _staff(true);
BEGIN
  PERFORM _desk_audit(me, 'signed_in', '{{}}');
  RETURN QUERY SELECT a.account, a.display_name, a.is_admin, a.key_id, a.opslimit, a.memlimit,
    a.wrapped_private_key, a.passcode_rules, a.must_change
  FROM staff_account a WHERE a.account = me;
END $$;

-- A new passphrase of one's own: the key wrapped under it (the desk changes the login
-- role's password in the same transaction).
CREATE FUNCTION fleet.desk_set_passphrase(p_wrapped bytea, p_rules integer) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = fleet, pg_temp AS $$
DECLARE
  me text := _staff(true);
BEGIN
  UPDATE staff_account SET wrapped_private_key = p_wrapped, passcode_rules = p_rules,
    must_change = false, changed_at = now()
  WHERE account = me;
  PERFORM _desk_audit(me, 'passphrase_changed', '{{}}');
END $$;

-- The WHERE clause of a desk list: each filter only when given (a plan made for the filters
-- used, not one generic plan for all), its value a parameter ($1 to $6, see _FILTERS) bound
-- by EXECUTE ... USING: never text in the statement. Rows received after the list's moment
-- ($6) are left out, so its pages stay put while requests arrive (the desk offers them).
CREATE FUNCTION fleet._desk_where(
  p_site text, p_kiosk text, p_status text, p_from timestamptz, p_to timestamptz,
  p_asof timestamptz
) RETURNS text
LANGUAGE sql IMMUTABLE SET search_path = fleet, pg_temp AS $$
  SELECT 'true'
    || CASE WHEN p_site IS NULL THEN '' ELSE ' AND r.site = $1' END
    || CASE WHEN p_kiosk IS NULL THEN '' ELSE ' AND r.kiosk_id = $2' END
    || CASE WHEN p_status IS NULL THEN '' ELSE ' AND r.status = $3' END
    || CASE WHEN p_from IS NULL THEN '' ELSE ' AND r.created_at_kiosk >= $4' END
    || CASE WHEN p_to IS NULL THEN '' ELSE ' AND r.created_at_kiosk < $5' END
    || CASE WHEN p_asof IS NULL THEN '' ELSE ' AND r.received_at <= $6' END
$$;

CREATE FUNCTION fleet.desk_count(
  p_site text, p_kiosk text, p_status text, p_from timestamptz, p_to timestamptz,
  p_asof timestamptz
) RETURNS bigint
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = fleet, pg_temp AS $$
DECLARE
  me text := _staff();
  n bigint;
BEGIN
  EXECUTE 'SELECT count(*) FROM request r WHERE ' || _desk_where({_FILTERS})
  INTO n USING {_FILTERS};
  RETURN n;
END $$;

-- One page of a list in the kiosk's time (newest first when p_descending), by the server.
-- Read on from the last row of the page before (p_after_created, p_after_id: keyset, so a
-- row that leaves the list meanwhile, marked contacted in a list of new ones, moves no
-- other row off the page), or from p_offset (a jump down the list). Every page read is
-- audited with its requests' ids: the desk opens their personal fields.
CREATE FUNCTION fleet.desk_page(
  p_site text, p_kiosk text, p_status text, p_from timestamptz, p_to timestamptz,
  p_asof timestamptz, p_descending boolean, p_after_created timestamptz, p_after_id uuid,
  p_offset bigint, p_limit integer
) RETURNS TABLE ({_DESK_ROW})
LANGUAGE plpgsql SECURITY DEFINER SET search_path = fleet, pg_temp AS $$
DECLARE
  me text := _staff();
  dir text := CASE WHEN p_descending THEN ' DESC' ELSE '' END;
  ids uuid[];
BEGIN
  IF p_limit IS NULL OR p_limit NOT BETWEEN 1 AND 1000 OR p_offset IS NULL OR p_offset < 0 THEN
    RAISE EXCEPTION 'a page holds 1 to 1000 requests' USING ERRCODE = '22023';
  END IF;
  EXECUTE 'SELECT array_agg(request_id) FROM (SELECT r.request_id FROM request r WHERE '
    || _desk_where({_FILTERS})
    || CASE WHEN p_after_id IS NULL THEN ''
            WHEN p_descending THEN ' AND (r.created_at_kiosk, r.request_id) < ($7, $8)'
            ELSE ' AND (r.created_at_kiosk, r.request_id) > ($7, $8)' END
    || ' ORDER BY r.created_at_kiosk' || dir || ', r.request_id' || dir
    || ' OFFSET $9 LIMIT $10) page'
  INTO ids USING {_FILTERS}, p_after_created, p_after_id, p_offset, p_limit;
  IF ids IS NULL THEN
    RETURN;
  END IF;
  PERFORM _desk_audit(me, 'viewed', jsonb_build_object('requests', to_jsonb(ids)));
  RETURN QUERY SELECT {_DESK_SELECT}
  WHERE r.request_id = ANY (ids) ORDER BY array_position(ids, r.request_id);
END $$;

-- The requests a patient's reference code names, newest first: one as a rule, but codes
-- are drawn at random on each kiosk, so two kiosks may have given the same one.
CREATE FUNCTION fleet.desk_find(p_reference text) RETURNS TABLE ({_DESK_ROW})
LANGUAGE plpgsql SECURITY DEFINER SET search_path = fleet, pg_temp AS $$
DECLARE
  me text := _staff();
  ids uuid[];
BEGIN
  SELECT array_agg(r.request_id ORDER BY r.created_at_kiosk DESC) INTO ids
  FROM request r WHERE r.reference = upper(p_reference);
  PERFORM _desk_audit(me, 'searched',
    jsonb_build_object('requests', to_jsonb(coalesce(ids, '{{}}'))));
  IF ids IS NULL THEN
    RETURN;
  END IF;
  RETURN QUERY SELECT {_DESK_SELECT}
  WHERE r.request_id = ANY (ids) ORDER BY array_position(ids, r.request_id);
END $$;

-- An export's rows, oldest first, after the key (created, id) of the last one read: keyset
-- paging, as fast at the 100,000th row as at the first. Audited as read for an export.
CREATE FUNCTION fleet.desk_export_page(
  p_site text, p_kiosk text, p_status text, p_from timestamptz, p_to timestamptz,
  p_asof timestamptz, p_after_created timestamptz, p_after_id uuid, p_limit integer
) RETURNS TABLE ({_DESK_ROW})
LANGUAGE plpgsql SECURITY DEFINER SET search_path = fleet, pg_temp AS $$
DECLARE
  me text := _staff();
  ids uuid[];
BEGIN
  IF p_limit IS NULL OR p_limit NOT BETWEEN 1 AND 5000 THEN
    RAISE EXCEPTION 'a page holds 1 to 5000 requests' USING ERRCODE = '22023';
  END IF;
  EXECUTE 'SELECT array_agg(request_id) FROM (SELECT r.request_id FROM request r WHERE '
    || _desk_where({_FILTERS})
    || CASE WHEN p_after_id IS NULL THEN ''
            ELSE ' AND (r.created_at_kiosk, r.request_id) > ($7, $8)' END
    || ' ORDER BY r.created_at_kiosk, r.request_id LIMIT $9) page'
  INTO ids USING {_FILTERS}, p_after_created, p_after_id, p_limit;
  IF ids IS NULL THEN
    RETURN;
  END IF;
  PERFORM _desk_audit(me, 'read_for_export', jsonb_build_object('count', cardinality(ids)));
  RETURN QUERY SELECT {_DESK_SELECT}
  WHERE r.request_id = ANY (ids) ORDER BY r.created_at_kiosk, r.request_id;
END $$;

-- Mark a request contacted (or back to new: undo), with a note sealed at the desk, if it is
-- still at p_version: a second receptionist's change is never overwritten unseen. ok is
-- false when someone changed it first (then version, status and who are theirs); no row: it
-- is gone (retention, or deleted).
CREATE FUNCTION fleet.desk_mark(p_id uuid, p_version integer, p_status text, p_note bytea)
RETURNS TABLE (ok boolean, version integer, status text, changed_by text,
  changed_at timestamptz)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = fleet, pg_temp AS $$
#variable_conflict use_column
DECLARE
  me text := _staff();
  now_status text;
  done boolean;
BEGIN
  IF p_status IS NULL OR p_status NOT IN ('new', 'contacted') THEN
    RAISE EXCEPTION 'a request is marked new or contacted' USING ERRCODE = '22023';
  END IF;
  UPDATE request q SET
    -- Back to "new" once it was in a file is back to "exported": the file exists.
    status = CASE WHEN p_status = 'new' AND q.exported_at IS NOT NULL THEN 'exported'
                  ELSE p_status END,
    note_sealed = p_note, version = q.version + 1, changed_by = me, changed_at = now(),
    reached_at = CASE WHEN p_status = 'new' THEN q.exported_at
                      ELSE coalesce(q.reached_at, now()) END
  WHERE q.request_id = p_id AND q.version = p_version
  RETURNING q.status INTO now_status;
  done := FOUND;
  IF done THEN
    PERFORM _desk_audit(me, 'marked', jsonb_build_object('request', p_id, 'status', now_status));
  END IF;
  RETURN QUERY SELECT done, q.version, q.status, q.changed_by, q.changed_at
  FROM request q WHERE q.request_id = p_id;
END $$;

-- An export was written and read back: its requests are marked exported (new ones only;
-- the version stays, a colleague's later "contacted" is not a conflict with a file).
-- The desk marks an export's pages as it writes them, in one transaction it commits only
-- once the file is read back (desk_exported then audits the whole): the marking runs beside
-- the writing, and a failed export marks nothing.
CREATE FUNCTION fleet.desk_exporting(p_ids uuid[]) RETURNS integer
LANGUAGE plpgsql SECURITY DEFINER SET search_path = fleet, pg_temp AS $$
DECLARE
  me text := _staff();
  n integer;
BEGIN
  -- Only the rows that change are written (an export again of what was exported already
  -- writes nothing).
  UPDATE request q SET exported_at = coalesce(q.exported_at, now()),
    status = CASE WHEN q.status = 'new' THEN 'exported' ELSE q.status END,
    reached_at = coalesce(q.reached_at, now())
  WHERE q.request_id = ANY (p_ids)
    AND (q.exported_at IS NULL OR q.status = 'new' OR q.reached_at IS NULL);
  GET DIAGNOSTICS n = ROW_COUNT;
  RETURN n;
END $$;

-- An export was written and read back: its requests (p_ids; those its pages marked
-- already may be left out, p_count is then the file's) are marked exported, and it is
-- audited. The version stays: a colleague's later "contacted" is no conflict with a file.
CREATE FUNCTION fleet.desk_exported(p_ids uuid[], p_format text, p_count integer DEFAULT NULL)
RETURNS integer
LANGUAGE plpgsql SECURITY DEFINER SET search_path = fleet, pg_temp AS $$
DECLARE
  me text := _staff();
  n integer;
BEGIN
  IF p_format IS NULL OR p_format NOT IN ('csv', 'xlsx') THEN
    RAISE EXCEPTION 'unknown export format' USING ERRCODE = '22023';
  END IF;
  PERFORM desk_exporting(p_ids);
  n := coalesce(p_count, (SELECT count(*) FROM request q WHERE q.request_id = ANY (p_ids)));
  PERFORM _desk_audit(me, 'exported', jsonb_build_object('count', n, 'format', p_format));
  RETURN n;
END $$;

-- Requests destroyed: their ids kept (fleet.destroyed), a destruction record (how many and
-- why, never which), in the caller's transaction.
CREATE FUNCTION fleet._destroy(p_ids uuid[], p_reason text, p_account text) RETURNS integer
LANGUAGE plpgsql SECURITY DEFINER SET search_path = fleet, pg_temp AS $$
DECLARE
  n integer;
BEGIN
  WITH gone AS (
    DELETE FROM request q WHERE q.request_id = ANY (p_ids) RETURNING q.request_id
  ), kept AS (
    INSERT INTO destroyed (request_id) SELECT g.request_id FROM gone g
    ON CONFLICT (request_id) DO NOTHING
  )
  SELECT count(*) INTO n FROM gone;
  IF n > 0 THEN
    INSERT INTO destruction (count, reason, account) VALUES (n, p_reason, p_account);
  END IF;
  RETURN n;
END $$;

-- Staff delete requests (a patient asked, a test request): destroyed, counted, audited.
CREATE FUNCTION fleet.desk_delete(p_ids uuid[]) RETURNS integer
LANGUAGE plpgsql SECURITY DEFINER SET search_path = fleet, pg_temp AS $$
DECLARE
  me text := _staff();
  n integer;
BEGIN
  n := _destroy(p_ids, 'deleted by staff', me);
  PERFORM _desk_audit(me, 'deleted', jsonb_build_object('count', n, 'requests', to_jsonb(p_ids)));
  RETURN n;
END $$;

-- Every kiosk (inactive ones too: their requests are still listed), for the filters.
CREATE FUNCTION fleet.desk_kiosks() RETURNS TABLE (kiosk_id text, site text, active boolean)
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = fleet, pg_temp AS $$
BEGIN
  PERFORM _staff();
  RETURN QUERY SELECT k.kiosk_id, k.site, k.active FROM kiosk k ORDER BY k.site, k.kiosk_id;
END $$;

CREATE FUNCTION fleet.desk_health() RETURNS SETOF fleet.fleet_health
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = fleet, pg_temp AS $$
BEGIN
  PERFORM _staff();
  RETURN QUERY SELECT * FROM fleet_health;
END $$;

CREATE FUNCTION fleet.desk_settings() RETURNS TABLE (name text, value integer)
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = fleet, pg_temp AS $$
BEGIN
  PERFORM _staff();
  RETURN QUERY SELECT s.name, s.value FROM setting s ORDER BY s.name;
END $$;

-- Central retention, as on a kiosk: a request that reached the staff (exported or
-- contacted) is destroyed retention_days after it did; one that never did,
-- unexported_max_days after it arrived. By the server's clock only. Any desk runs it (each
-- hour), and IT may from cron (`kiosk desk retention --apply`).
CREATE FUNCTION fleet.apply_retention() RETURNS TABLE (reached integer, never integer)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = fleet, pg_temp AS $$
DECLARE
  who text := CASE WHEN session_user LIKE '{STAFF_ROLE_PREFIX}%' THEN _staff()
                   ELSE session_user END;
  days integer := (SELECT value FROM setting WHERE name = 'retention_days');
  limit_days integer := (SELECT value FROM setting WHERE name = 'unexported_max_days');
  n1 integer;
  n2 integer;
BEGIN
  n1 := _destroy(ARRAY(SELECT q.request_id FROM request q
    WHERE q.reached_at < now() - make_interval(days => days)),
    format('retention %s days, reached staff', days), who);
  n2 := _destroy(ARRAY(SELECT q.request_id FROM request q
    WHERE q.status = 'new' AND q.received_at < now() - make_interval(days => limit_days)),
    format('retention %s days, never reached staff', limit_days), who);
  DELETE FROM destroyed d
  WHERE d.at < now() - make_interval(days => greatest(days, limit_days) + 365);
  PERFORM _desk_audit(who, 'retention_checked',
    jsonb_build_object('count', n1 + n2, 'days', days, 'unexported_days', limit_days));
  RETURN QUERY SELECT n1, n2;
END $$;

REVOKE ALL ON ALL FUNCTIONS IN SCHEMA fleet FROM PUBLIC;
GRANT EXECUTE ON FUNCTION
  fleet.ingest_batch(uuid[], timestamptz[], text[], bytea[], bytea[], text[]),
  fleet.ingest_batch(uuid[], timestamptz[], text[], bytea[], bytea[]),
  fleet.kiosk_heartbeat(timestamptz, text, text, integer, integer, text)
  TO {KIOSK_GROUP};
GRANT EXECUTE ON FUNCTION
  fleet.desk_me(), fleet.desk_set_passphrase(bytea, integer),
  fleet.desk_count(text, text, text, timestamptz, timestamptz, timestamptz),
  fleet.desk_page(text, text, text, timestamptz, timestamptz, timestamptz, boolean,
    timestamptz, uuid, bigint, integer),
  fleet.desk_find(text),
  fleet.desk_export_page(text, text, text, timestamptz, timestamptz, timestamptz,
    timestamptz, uuid, integer),
  fleet.desk_mark(uuid, integer, text, bytea), fleet.desk_exporting(uuid[]),
  fleet.desk_exported(uuid[], text, integer),
  fleet.desk_delete(uuid[]), fleet.desk_kiosks(), fleet.desk_health(), fleet.desk_settings(),
  fleet.apply_retention()
  TO {DESK_GROUP};
"""


# An export reads only what its file shows (the id, the code, kiosk, site, time, status and
# the sealed request) in rows the desk reads as binary: fetching 100,000 is a third of the
# time of the list's 14 columns as text. It replaces migration 3's desk_export_page (a
# console and its server are upgraded together: fleet.md).
_DESK_EXPORT_V4 = f"""
CREATE FUNCTION fleet.desk_export_rows(
  p_site text, p_kiosk text, p_status text, p_from timestamptz, p_to timestamptz,
  p_asof timestamptz, p_after_created timestamptz, p_after_id uuid, p_limit integer
) RETURNS TABLE (request_id uuid, reference text, kiosk_id text, site text,
  created_at_kiosk timestamptz, status text, sealed_payload bytea)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = fleet, pg_temp AS $$
DECLARE
  me text := _staff();
  n integer;
BEGIN
  IF p_limit IS NULL OR p_limit NOT BETWEEN 1 AND 5000 THEN
    RAISE EXCEPTION 'a page holds 1 to 5000 requests' USING ERRCODE = '22023';
  END IF;
  -- One pass down the index (the list's pages find their ids first: they are sorted
  -- either way, and audited with them).
  RETURN QUERY EXECUTE 'SELECT r.request_id, r.reference, r.kiosk_id, r.site, '
    || 'r.created_at_kiosk, r.status, r.sealed_payload FROM request r WHERE '
    || _desk_where({_FILTERS})
    || CASE WHEN p_after_id IS NULL THEN ''
            ELSE ' AND (r.created_at_kiosk, r.request_id) > ($7, $8)' END
    || ' ORDER BY r.created_at_kiosk, r.request_id LIMIT $9'
  USING {_FILTERS}, p_after_created, p_after_id, p_limit;
  GET DIAGNOSTICS n = ROW_COUNT;
  IF n > 0 THEN
    PERFORM _desk_audit(me, 'read_for_export', jsonb_build_object('count', n));
  END IF;
END $$;

GRANT EXECUTE ON FUNCTION fleet.desk_export_rows(text, text, text, timestamptz, timestamptz,
  timestamptz, timestamptz, uuid, integer) TO {DESK_GROUP};
DROP FUNCTION fleet.desk_export_page(text, text, text, timestamptz, timestamptz, timestamptz,
  timestamptz, uuid, integer);
"""


# The kiosks' content updates (docs/content-updates.md) in their heartbeat: the last check's
# outcome and until when the repository they trust is signed. A kiosk whose update was
# refused, or whose repository is about to expire (the daily re-signing stopped), is
# "update" in fleet_health. Kiosks of the release before call the six-argument heartbeat,
# which leaves these columns as they are.
# (kiosk.updates.client.NEEDS_IT: "unreachable" is not one, a server down for a moment)
_NEEDS_IT = "'expired', 'older', 'tampered', 'invalid', 'clock', 'setup', 'disk'"
_UPDATES_V5 = f"""
ALTER TABLE fleet.kiosk_status
  ADD COLUMN update_outcome text NOT NULL DEFAULT '',
  ADD COLUMN update_expires timestamptz;

CREATE FUNCTION fleet.kiosk_heartbeat(
  p_kiosk_clock timestamptz, p_app_version text, p_content_version text,
  p_outbox_pending integer, p_oldest_pending_s integer, p_last_error_code text,
  p_update_outcome text, p_update_expires timestamptz
) RETURNS timestamptz
LANGUAGE plpgsql SECURITY DEFINER SET search_path = fleet, pg_temp AS $$
DECLARE
  me text := _active_kiosk();
BEGIN
  PERFORM kiosk_heartbeat(p_kiosk_clock, p_app_version, p_content_version, p_outbox_pending,
    p_oldest_pending_s, p_last_error_code);
  UPDATE kiosk_status SET update_outcome = _word(p_update_outcome),
    update_expires = p_update_expires
  WHERE kiosk_id = me;
  RETURN now();
END $$;
REVOKE ALL ON FUNCTION fleet.kiosk_heartbeat(timestamptz, text, text, integer, integer, text,
  text, timestamptz) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION fleet.kiosk_heartbeat(timestamptz, text, text, integer, integer, text,
  text, timestamptz) TO {KIOSK_GROUP};

CREATE OR REPLACE VIEW fleet.fleet_health AS
SELECT k.kiosk_id, k.site, s.last_seen, s.clock_skew_s, s.app_version, s.content_version,
       s.outbox_pending, s.oldest_pending_s, s.last_error_code,
       (SELECT max(r.received_at) FROM fleet.request r WHERE r.kiosk_id = k.kiosk_id)
         AS last_delivery,
       CASE WHEN s.last_seen IS NULL THEN 'never'
            WHEN s.last_seen < now() - interval '1 hour' THEN 'silent'
            WHEN s.last_seen < now() - interval '15 minutes' THEN 'late'
            WHEN abs(s.clock_skew_s) > 300 THEN 'clock'
            WHEN s.oldest_pending_s > 86400 THEN 'backlog'
            WHEN s.update_outcome IN ({_NEEDS_IT})
              OR s.update_expires < now() + interval '2 days' THEN 'update'
            ELSE 'ok' END AS status,
       s.update_outcome, s.update_expires
FROM fleet.kiosk k LEFT JOIN fleet.kiosk_status s USING (kiosk_id)
WHERE k.active;
REVOKE ALL ON fleet.fleet_health FROM PUBLIC;
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
    Migration(
        3,
        "the desk console: staff accounts, the staff's work on requests, central retention",
        _DESK_V3,
    ),
    Migration(4, "a desk export reads only what its file shows", _DESK_EXPORT_V4),
    Migration(5, "content updates in the kiosks' heartbeat and health", _UPDATES_V5),
)
