"""Inventory: accounts, sites, services and invoices, as the API last returned them."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from .database import Table
from .schema import SEARCH_EXPR

if TYPE_CHECKING:  # the models: imported where a row becomes one, not at launch
    from expereo_tui.api.models import Account, Invoice, Service, Site


#: the inventory's tables, each with ``id`` and ``raw`` columns
INVENTORY_TABLES = ("accounts", "sites", "services", "invoices")


def _like(text: str) -> str:
    """A LIKE pattern (ESCAPE '\\') matching ``text`` anywhere."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


class InventoryStore(Table):
    """The inventory tables; each row keeps the API's object whole in ``raw``."""

    def _upsert(self, table: str, columns: tuple[str, ...], rows: Iterable[tuple[Any, ...]]) -> int:
        """Insert new rows and update those whose ``raw`` differs (the last column); returns how
        many that was.  The comparison is SQLite's: the table is never read into memory (a
        large account's 20,000 services were, on every inventory refresh)."""
        names = ", ".join(columns)
        marks = ", ".join("?" for _ in columns)
        updates = ", ".join(f"{c} = excluded.{c}" for c in columns[1:])
        sql = (
            f"INSERT INTO {table} ({names}) VALUES ({marks}) ON CONFLICT(id) DO UPDATE SET "
            f"{updates} WHERE {table}.raw IS NOT excluded.raw"
        )
        with self._tx() as db:
            before = db.total_changes  # the inventory tables have no triggers
            db.executemany(sql, rows)
            return db.total_changes - before

    def upsert_accounts(self, items: Iterable[Account]) -> int:
        rows = ((a.account_id, a.name, json.dumps(a.to_wire(), sort_keys=True)) for a in items)
        return self._upsert("accounts", ("id", "name", "raw"), rows)

    def refresh_search(self) -> None:
        """Names of services and sites are part of each case's search text: after they
        changed (``upsert_sites(..., search=False)`` leaves it to the caller, once)."""
        with self._tx() as db:
            db.execute(f"UPDATE cases SET search = {SEARCH_EXPR}")

    def upsert_sites(self, items: Iterable[Site], *, search: bool = True) -> int:
        rows = (
            (
                s.site_id,
                s.account_id,
                s.name,
                s.city,
                s.country,
                json.dumps(s.to_wire(), sort_keys=True),
            )
            for s in items
        )
        columns = ("id", "account_id", "name", "city", "country", "raw")
        changed = self._upsert("sites", columns, rows)
        if changed and search:
            self.refresh_search()
        return changed

    def upsert_services(self, items: Iterable[Service], *, search: bool = True) -> int:
        rows = (
            (
                s.service_id,
                s.account_id,
                s.site_id,
                s.service_name,
                s.status,
                s.service_type,
                json.dumps(s.to_wire(), sort_keys=True),
            )
            for s in items
        )
        columns = ("id", "account_id", "site_id", "name", "status", "service_type", "raw")
        changed = self._upsert("services", columns, rows)
        if changed and search:
            self.refresh_search()
        return changed

    def upsert_invoices(self, items: Iterable[Invoice]) -> int:
        rows = (
            (
                i.invoice_id,
                i.account_id,
                str(i.invoice_date) if i.invoice_date else None,
                json.dumps(i.to_wire(), sort_keys=True),
            )
            for i in items
        )
        return self._upsert("invoices", ("id", "account_id", "invoice_date", "raw"), rows)

    def raw_rows(self, table: str) -> list[tuple[str, str]]:
        """(id, the API's JSON as stored) of every row of one inventory table (accounts, sites,
        services, invoices), for team mode's change feed (team/feed.py)."""
        if table not in INVENTORY_TABLES:
            raise ValueError(f"not an inventory table: {table}")
        return [(str(r["id"]), str(r["raw"])) for r in self._rows(f"SELECT id, raw FROM {table}")]

    def accounts(self) -> list[Account]:
        from expereo_tui.api.models import Account

        return [
            Account.model_validate_json(r["raw"])
            for r in self._rows("SELECT raw FROM accounts ORDER BY name, id")
        ]

    def invoices(self) -> list[Invoice]:
        from expereo_tui.api.models import Invoice

        return [
            Invoice.model_validate_json(r["raw"])
            for r in self._rows("SELECT raw FROM invoices ORDER BY invoice_date DESC, id")
        ]

    def sites(self, account_id: str) -> list[Site]:
        from expereo_tui.api.models import Site

        return [
            Site.model_validate_json(r["raw"])
            for r in self._rows(
                "SELECT raw FROM sites WHERE account_id = ? ORDER BY name, id", (account_id,)
            )
        ]

    def services(
        self,
        *,
        account_id: str | None = None,
        site_id: str | None = None,
        without_site: bool = False,
    ) -> list[Service]:
        from expereo_tui.api.models import Service

        where, params = [], []
        if account_id is not None:
            where.append("account_id = ?")
            params.append(account_id)
        if site_id is not None:
            where.append("site_id = ?")
            params.append(site_id)
        if without_site:
            where.append("site_id IS NULL")
        sql = "SELECT raw FROM services" + (" WHERE " + " AND ".join(where) if where else "")
        return [
            Service.model_validate_json(r["raw"])
            for r in self._rows(sql + " ORDER BY name, id", params)
        ]

    def site(self, site_id: str) -> Site | None:
        from expereo_tui.api.models import Site

        rows = self._rows("SELECT raw FROM sites WHERE id = ?", (site_id,))
        return Site.model_validate_json(rows[0]["raw"]) if rows else None

    def service(self, service_id: str) -> Service | None:
        from expereo_tui.api.models import Service

        rows = self._rows("SELECT raw FROM services WHERE id = ?", (service_id,))
        return Service.model_validate_json(rows[0]["raw"]) if rows else None

    def search_services(self, text: str, limit: int = 50) -> list[Service]:
        """Services whose id, name, type or site (name/city/country) contains text."""
        from expereo_tui.api.models import Service

        like = _like(text.strip())
        rows = self._rows(
            "SELECT v.raw FROM services v LEFT JOIN sites st ON st.id = v.site_id "
            "WHERE v.id LIKE ?1 ESCAPE '\\' OR v.name LIKE ?1 ESCAPE '\\' "
            "OR v.service_type LIKE ?1 ESCAPE '\\' OR st.name LIKE ?1 ESCAPE '\\' "
            "OR st.city LIKE ?1 ESCAPE '\\' OR st.country LIKE ?1 ESCAPE '\\' "
            "ORDER BY v.name, v.id LIMIT ?2",
            (like, limit),
        )
        return [Service.model_validate_json(r["raw"]) for r in rows]

    def search_inventory(self, text: str, limit: int = 500) -> tuple[list[Site], list[Service]]:
        """Sites (name/city/country) and services (id/name) matching text, for the tree filter."""
        from expereo_tui.api.models import Service, Site

        like = _like(text.strip())
        sites = self._rows(
            "SELECT raw FROM sites WHERE name LIKE ?1 ESCAPE '\\' OR city LIKE ?1 ESCAPE '\\' "
            "OR country LIKE ?1 ESCAPE '\\' ORDER BY name LIMIT ?2",
            (like, limit),
        )
        services = self._rows(
            "SELECT raw FROM services WHERE id LIKE ?1 ESCAPE '\\' OR name LIKE ?1 ESCAPE '\\' "
            "ORDER BY name LIMIT ?2",
            (like, limit),
        )
        return (
            [Site.model_validate_json(r["raw"]) for r in sites],
            [Service.model_validate_json(r["raw"]) for r in services],
        )

    def service_status_counts(self, site_id: str) -> dict[str, int]:
        return {
            str(r["status"]): int(r["n"])
            for r in self._rows(
                "SELECT COALESCE(status, '?') AS status, count(*) AS n FROM services "
                "WHERE site_id = ? "
                "GROUP BY 1 ORDER BY 1",
                (site_id,),
            )
        }

    def inventory_counts(self, account_id: str) -> tuple[int, int]:
        """(sites, services) of an account."""
        sites = self._rows("SELECT count(*) AS n FROM sites WHERE account_id = ?", (account_id,))
        svcs = self._rows("SELECT count(*) AS n FROM services WHERE account_id = ?", (account_id,))
        return int(sites[0]["n"]), int(svcs[0]["n"])
