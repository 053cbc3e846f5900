"""Desk accounts on the central server, as an administrator manages them with the recovery key
and IT's database role: add, reset, disable, enable, list (no Qt; `kiosk desk account`).

An account is a login role (``staff:<name>``, member of ``desk_staff``) and a row holding the
clinic's private key wrapped under the account's passphrase. Both come from one Argon2id
derivation (kiosk.crypto.desk_credentials), so the server never holds the passphrase, and
its password verifier is no shortcut to it. Adding or resetting sets a one-time passphrase;
the staff member chooses their own at the first sign-in.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from kiosk import crypto, passcodes
from kiosk.fleet.central_schema import DESK_GROUP, STAFF_ROLE_PREFIX
from kiosk.fleet.server import FleetError, connect

if TYPE_CHECKING:
    import psycopg

ACCOUNT_NAME = re.compile(r"^[a-z][a-z0-9._-]{0,39}$")
MAX_DISPLAY_NAME = 80
# A desk account may be signed in at a few reception PCs at once, not at dozens.
CONNECTION_LIMIT = 6


class AccountError(Exception):
    """The account cannot be made or changed as asked; the text says why in plain words."""


@dataclass(frozen=True)
class AccountInfo:
    """One desk account as `kiosk desk account list` shows it (no key material)."""

    account: str
    display_name: str
    is_admin: bool
    active: bool
    must_change: bool
    created_at: dt.datetime
    changed_at: dt.datetime


def role_of(account: str) -> str:
    """The account's login role on the central server."""
    return STAFF_ROLE_PREFIX + account


def check_name(account: str) -> None:
    if not ACCOUNT_NAME.match(account):
        raise AccountError(
            f"{account!r} cannot be an account name: 1 to 40 lower-case letters, digits, "
            "'.', '_' or '-', starting with a letter"
        )


def _check_display(display_name: str) -> None:
    if len(display_name) > MAX_DISPLAY_NAME or not display_name.isprintable():
        raise AccountError(f"the display name must be printable, at most {MAX_DISPLAY_NAME}")


def scram_verifier(conn: psycopg.Connection[Any], role: str, password: str) -> str:
    """``password`` as the server stores it (SCRAM-SHA-256), computed here by libpq: the
    password itself never crosses the network, nor lands in the server's log."""
    return conn.pgconn.encrypt_password(
        password.encode("utf-8"), role.encode("utf-8"), b"scram-sha-256"
    ).decode("ascii")


def _set_password(conn: psycopg.Connection[Any], role: str, password: str) -> None:
    from psycopg import sql

    verifier = scram_verifier(conn, role, password)
    conn.execute(
        sql.SQL("ALTER ROLE {} PASSWORD {}").format(sql.Identifier(role), sql.Literal(verifier))
    )


def _wrapped(
    private: crypto.Unlocked, account: str, passphrase: str, cost: crypto.KdfCost
) -> tuple[str, bytes]:
    credentials = crypto.desk_credentials(account, passphrase, cost)
    try:
        return credentials.password, crypto.wrap_for_account(private, credentials)
    finally:
        credentials.wipe()


def add(
    dsn: str,
    private: crypto.Unlocked,
    account: str,
    passphrase: str,
    *,
    display_name: str = "",
    is_admin: bool = False,
    cost: crypto.KdfCost = crypto.DESK_COST,
) -> None:
    """Add ``account`` with the one-time ``passphrase`` (it must follow the passcode rules).
    Raises AccountError or FleetError."""
    check_name(account)
    _check_display(display_name)
    _check_passphrase(passphrase)
    import psycopg
    from psycopg import sql

    password, wrapped = _wrapped(private, account, passphrase, cost)
    role = role_of(account)
    with connect(dsn, autocommit=True) as conn:
        try:
            with conn.transaction():
                if conn.execute(
                    "SELECT 1 FROM fleet.staff_account WHERE account = %s", [account]
                ).fetchone():
                    raise AccountError(f"there is already an account {account!r}")
                _same_key_pair(conn, private)
                member = conn.execute(
                    "SELECT pg_has_role(r.oid, g.oid, 'MEMBER') FROM pg_roles r, pg_roles g "
                    "WHERE r.rolname = %s AND g.rolname = %s",
                    [role, DESK_GROUP],
                ).fetchone()
                if member is not None and not member[0]:
                    raise AccountError(f"a role {role!r} exists on the server and is no desk's")
                if member is None:
                    conn.execute(
                        sql.SQL("CREATE ROLE {} LOGIN CONNECTION LIMIT {} IN ROLE {}").format(
                            sql.Identifier(role),
                            sql.Literal(CONNECTION_LIMIT),
                            sql.Identifier(DESK_GROUP),
                        )
                    )
                else:  # an account of that name was removed by hand earlier
                    conn.execute(sql.SQL("ALTER ROLE {} LOGIN").format(sql.Identifier(role)))
                _set_password(conn, role, password)
                conn.execute(
                    "INSERT INTO fleet.staff_account (account, display_name, is_admin, key_id,"
                    " opslimit, memlimit, wrapped_private_key, passcode_rules, must_change)"
                    " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, true)",
                    [
                        account,
                        display_name,
                        is_admin,
                        private.key_id,
                        cost.opslimit,
                        cost.memlimit,
                        wrapped,
                        passcodes.RULES_VERSION,
                    ],
                )
                _audit(conn, account, "account_added", {"admin": is_admin})
        except psycopg.Error as exc:
            raise FleetError(f"could not add the account: {exc}") from exc


def reset(
    dsn: str,
    private: crypto.Unlocked,
    account: str,
    passphrase: str,
    cost: crypto.KdfCost = crypto.DESK_COST,
) -> None:
    """Give ``account`` a new one-time passphrase (a forgotten one). Raises AccountError or
    FleetError."""
    check_name(account)
    _check_passphrase(passphrase)
    import psycopg

    password, wrapped = _wrapped(private, account, passphrase, cost)
    with connect(dsn, autocommit=True) as conn:
        try:
            with conn.transaction():
                _existing(conn, account)
                _same_key_pair(conn, private)
                _set_password(conn, role_of(account), password)
                conn.execute(
                    "UPDATE fleet.staff_account SET wrapped_private_key = %s, key_id = %s,"
                    " opslimit = %s, memlimit = %s, must_change = true, changed_at = now()"
                    " WHERE account = %s",
                    [wrapped, private.key_id, cost.opslimit, cost.memlimit, account],
                )
                _audit(conn, account, "account_reset", {})
        except psycopg.Error as exc:
            raise FleetError(f"could not reset the account: {exc}") from exc


def set_active(dsn: str, account: str, active: bool) -> None:
    """Disable ``account`` (its sessions stop at their next step, it cannot sign in) or
    enable it again. Raises AccountError or FleetError."""
    check_name(account)
    import psycopg
    from psycopg import sql

    with connect(dsn, autocommit=True) as conn:
        try:
            with conn.transaction():
                _existing(conn, account)
                conn.execute(
                    "UPDATE fleet.staff_account SET active = %s, changed_at = now(),"
                    " disabled_at = CASE WHEN %s THEN NULL ELSE now() END WHERE account = %s",
                    [active, active, account],
                )
                login = sql.SQL("LOGIN" if active else "NOLOGIN")
                conn.execute(
                    sql.SQL("ALTER ROLE {} {}").format(sql.Identifier(role_of(account)), login)
                )
                _audit(conn, account, "account_enabled" if active else "account_disabled", {})
        except psycopg.Error as exc:
            raise FleetError(f"could not change the account: {exc}") from exc


def accounts(dsn: str) -> list[AccountInfo]:
    """Every desk account, by name. Raises FleetError."""
    import psycopg

    with connect(dsn) as conn:
        try:
            rows = conn.execute(
                "SELECT account, display_name, is_admin, active, must_change, created_at,"
                " changed_at FROM fleet.staff_account ORDER BY account"
            ).fetchall()
        except psycopg.Error as exc:
            raise FleetError(f"cannot read the accounts: {exc}") from exc
    return [AccountInfo(*row) for row in rows]


def set_retention(dsn: str, days: int, unexported_max_days: int) -> None:
    """The central retention's periods (docs/staff.md). Raises AccountError or FleetError."""
    if not (1 <= days <= 3650 and 1 <= unexported_max_days <= 3650):
        raise AccountError("retention periods are 1 to 3650 days")
    if unexported_max_days < days:
        raise AccountError(
            "a request nobody exported must be kept at least as long as one that was "
            f"(unexported days {unexported_max_days} < retention days {days})"
        )
    import psycopg

    with connect(dsn, autocommit=True) as conn:
        try:
            with conn.transaction():
                for name, value in (
                    ("retention_days", days),
                    ("unexported_max_days", unexported_max_days),
                ):
                    conn.execute(
                        "INSERT INTO fleet.setting (name, value) VALUES (%s, %s) "
                        "ON CONFLICT (name) DO UPDATE SET value = excluded.value",
                        [name, value],
                    )
                _audit(
                    conn,
                    None,
                    "retention_set",
                    {"days": days, "unexported_days": unexported_max_days},
                )
        except psycopg.Error as exc:
            raise FleetError(f"could not set the retention: {exc}") from exc


def retention(dsn: str) -> tuple[int, int]:
    """The central retention's periods: days after reaching the staff, days unexported."""
    import psycopg

    with connect(dsn) as conn:
        try:
            rows = dict(conn.execute("SELECT name, value FROM fleet.setting").fetchall())
        except psycopg.Error as exc:
            raise FleetError(f"cannot read the retention: {exc}") from exc
    return int(rows["retention_days"]), int(rows["unexported_max_days"])


def apply_retention(dsn: str) -> tuple[int, int]:
    """Run the central retention now (a cron job of IT's): how many requests were destroyed
    that had reached the staff, and that never had. Raises FleetError."""
    import psycopg

    with connect(dsn, autocommit=True) as conn:
        try:
            row = conn.execute("SELECT reached, never FROM fleet.apply_retention()").fetchone()
        except psycopg.Error as exc:
            raise FleetError(f"could not apply the retention: {exc}") from exc
    return (int(row[0]), int(row[1])) if row else (0, 0)


def _check_passphrase(passphrase: str) -> None:
    reason = passcodes.problem(passphrase)
    if reason is not None:
        raise AccountError(f"not a safe passphrase: {reason}")


def _same_key_pair(conn: psycopg.Connection[Any], private: crypto.Unlocked) -> None:
    """Refuse a recovery key of another key pair than the one the server's requests and
    accounts are sealed to: its accounts would open nothing."""
    known = {
        row[0]
        for row in conn.execute(
            "SELECT key_id FROM fleet.staff_account UNION SELECT DISTINCT key_id FROM fleet.request"
        ).fetchall()
    }
    if known and private.key_id not in known:
        raise AccountError(
            "this recovery key belongs to another key pair than the one the central server's "
            "requests and accounts are sealed to: use the clinic's recovery key"
        )


def _existing(conn: psycopg.Connection[Any], account: str) -> None:
    if not conn.execute(
        "SELECT 1 FROM fleet.staff_account WHERE account = %s", [account]
    ).fetchone():
        raise AccountError(f"there is no account {account!r}")


def _audit(
    conn: psycopg.Connection[Any], account: str | None, event: str, detail: dict[str, object]
) -> None:
    """An administrator's action, in the central audit: who did it (the database role) and
    to which account; never a passphrase."""
    from psycopg.types.json import Jsonb

    conn.execute(
        "INSERT INTO fleet.audit (account, event, detail) VALUES (session_user, %s, %s)",
        [event, Jsonb({**detail, **({"for": account} if account else {})})],
    )
