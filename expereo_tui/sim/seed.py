"""Deterministic, realistic seed data for the simulator: a multi-account customer of a global
network provider with sites in real cities, services (DIA, broadband, 4G/5G, SD-WAN...), support
cases and their message threads.  Everything is plain camelCase wire dicts, generated from one
``random.Random(seed)`` so the same seed always gives the same data."""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any

from expereo_tui.api.models import ALLOWED_PRIORITIES, ALLOWED_SUBJECTS, CaseType

from .text import (
    CITIES,
    COMPANY_NAMES,
    CUSTOMER_NAMES,
    HOSTILE_TEXTS,
    LOCAL_STREETS,
    PROVIDER_NAMES,
    STREETS,
    customer_message,
    provider_message,
)

Wire = dict[str, Any]

SCALES: dict[str, dict[str, int]] = {
    "tiny": {"accounts": 1, "sites": 6, "services": 15, "cases": 12, "messages": 40},
    "small": {"accounts": 2, "sites": 40, "services": 120, "cases": 150, "messages": 700},
    "medium": {"accounts": 4, "sites": 600, "services": 2_400, "cases": 1_500, "messages": 12_000},
    "large": {
        "accounts": 6,
        "sites": 5_000,
        "services": 20_000,
        "cases": 10_000,
        "messages": 106_000,
    },
    # a big account's history: most cases long closed; threads written when first read
    "xl": {
        "accounts": 8,
        "sites": 20_000,
        "services": 100_000,
        "cases": 100_000,
        "messages": 500_000,
        "history_days": 540,  # mean age of a case (the others: 20 days)
        "lazy_threads": 1,
    },
}

SERVICE_TYPES = (
    ("DIA", ("100 Mbps", "500 Mbps", "1 Gbps", "10 Gbps")),
    ("Broadband", ("50/10 Mbps", "100/20 Mbps", "500/50 Mbps", "1000/100 Mbps")),
    ("4G/5G", ("LTE Cat 12", "5G SA", "5G NSA")),
    ("SD-WAN", ("Standard", "Advanced", "Premium")),
    ("MPLS", ("20 Mbps", "100 Mbps", "1 Gbps")),
)
# The simulated provider's working pace per priority, in hours: it answers a new case within
# `answer`, writes an update at least every `update` and resolves within `resolve`. It is how
# this provider behaves (close to the app's example SLA targets, so a seeded account looks like a
# real one: a few cases late, not most), not a rule the app reads. LATE_SHARE of the open cases
# keep the age they were drawn with: they are the long-running ones, breached.
PACE: dict[str, tuple[float, float, float]] = {
    "P1": (0.25, 1, 4),
    "P2": (0.5, 2, 8),
    "P3": (1, 4, 24),
    "P4": (4, 8, 72),
    "P5": (8, 24, 120),
}
LATE_SHARE = 0.2
OPEN_AT_SEED = ("New", "In Progress", "Awaiting Customer")

SERVICE_STATUSES = ("RFS", "RFS", "RFS", "RFS", "RFS", "In progress", "Ordered", "Cancelled")


def iso(ts: datetime) -> str:
    """The one timestamp format the simulator emits (lexical order == time order)."""
    utc = ts.astimezone(UTC)  # %Y is not zero-padded (year 49 → "49"): RFC 3339 needs 4 digits
    return f"{utc.year:04d}-" + utc.strftime("%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"


@dataclass
class SimData:
    """Everything the simulated API serves, as wire dicts keyed by id."""

    accounts: dict[str, Wire] = field(default_factory=dict)
    sites: dict[str, Wire] = field(default_factory=dict)
    services: dict[str, Wire] = field(default_factory=dict)
    cases: dict[str, Wire] = field(default_factory=dict)
    messages: dict[str, list[Wire]] = field(default_factory=dict)
    invoices: dict[str, Wire] = field(default_factory=dict)
    invoice_lines: dict[str, list[Wire]] = field(default_factory=dict)
    next_case_number: int = 1_000_000
    next_message_number: int = 1
    next_service_number: int = 1


class LazyThreads(dict[str, list[Wire]]):
    """A case id → its messages, where a seeded case's thread is written the first time it is
    read (``--scale xl``: 500,000 messages would take most of a minute and a gigabyte to write
    up front).  Each thread is drawn from its own seeded generator, so it reads the same
    whenever it is first asked for; its times, and so the case's ``lastModifiedDate``, are
    fixed when the case is made."""

    def __init__(self) -> None:
        super().__init__()
        self.pending: dict[str, Callable[[], list[Wire]]] = {}

    def _write(self, case_id: str) -> None:
        make = self.pending.pop(case_id, None)
        if make is not None:
            super().__setitem__(case_id, make())

    def __getitem__(self, case_id: str) -> list[Wire]:
        self._write(case_id)
        return super().__getitem__(case_id)

    def get(self, case_id: str, default: Any = None) -> Any:  # type: ignore[override]
        self._write(case_id)
        return super().get(case_id, default)

    def setdefault(self, case_id: str, default: Any = None) -> Any:  # type: ignore[override]
        self._write(case_id)
        return super().setdefault(case_id, default)

    def __contains__(self, case_id: object) -> bool:
        return case_id in self.pending or super().__contains__(case_id)

    def __len__(self) -> int:
        return super().__len__() + len(self.pending)

    def __iter__(self) -> Iterator[str]:
        yield from list(super().keys())
        yield from list(self.pending)

    def keys(self) -> Any:  # type: ignore[override]
        return list(iter(self))

    def values(self) -> Any:  # type: ignore[override]
        return [self[k] for k in self]

    def items(self) -> Any:  # type: ignore[override]
        return [(k, self[k]) for k in self]


class SeedBuilder:
    """Builds a :class:`SimData` for a scale at a point in time."""

    def __init__(self, rng: random.Random, now: datetime) -> None:
        self.rng = rng
        self.now = now
        self.data = SimData()
        # the open cases' pace has its own generator (from the seed, without drawing from it), so
        # every other seeded value stays what it was before the pace existed
        self.pace = random.Random(hash(rng.getstate()[1]))

    # -- ids -------------------------------------------------------------------------------
    def new_case_id(self) -> str:
        self.data.next_case_number += 1
        return f"CS-{self.data.next_case_number:07d}"

    def new_message_id(self) -> str:
        self.data.next_message_number += 1
        return f"MSG-{self.data.next_message_number:08d}"

    def new_service_id(self) -> str:
        self.data.next_service_number += 1
        return f"SVC-{self.data.next_service_number:06d}"

    # -- builders --------------------------------------------------------------------------
    def build(self, scale: str) -> SimData:
        sizes = SCALES[scale]
        rng = self.rng
        names = rng.sample(COMPANY_NAMES, sizes["accounts"])
        for i, name in enumerate(names):
            acc_id = f"ACC-{98000001 + i}"
            self.data.accounts[acc_id] = {
                "accountId": acc_id,
                "name": name,
                "legalName": f"{name} {rng.choice(('Ltd', 'GmbH', 'B.V.', 'S.A.', 'Inc.', 'Pte Ltd'))}",
            }
        acc_ids = list(self.data.accounts)
        for i in range(sizes["sites"]):
            self.add_site(f"SITE-{100001 + i}", rng.choice(acc_ids))
        site_ids = list(self.data.sites)
        for _ in range(sizes["services"]):
            site = self.data.sites[rng.choice(site_ids)] if rng.random() > 0.06 else None
            acc = site["accountId"] if site else rng.choice(acc_ids)
            self.add_service(acc, site)
        rfs = [s for s in self.data.services.values() if s["status"] == "RFS"]
        per_case = max(1.0, sizes["messages"] / max(1, sizes["cases"]))
        mean_age = 60 * 24 * sizes.get("history_days", 20)
        if sizes.get("lazy_threads"):
            self.data.messages = LazyThreads()
        for i in range(sizes["cases"]):
            age = timedelta(minutes=rng.expovariate(1 / mean_age) + 3)
            svc = rng.choice(rfs)
            n_msgs = max(1, min(60, round(rng.gauss(per_case, per_case / 2))))
            hostile = i % 97 == 5  # a few cases carry hostile text, always
            self.add_case(svc, self.now - age, n_msgs, hostile=hostile)
        for acc_id in acc_ids:
            self.add_invoices(acc_id)
        return self.data

    def add_site(self, site_id: str, account_id: str) -> Wire:
        # (the draws are those of the generic street list, so a seeded world keeps every other
        # value it had: only the street's name becomes one of the site's country)
        rng = self.rng
        city, country, lat, lon = rng.choice(CITIES)
        kind = rng.choice(("Office", "Data Centre", "Branch", "Warehouse", "Plant", "Store", "HQ"))
        site = {
            "siteId": site_id,
            "name": f"{city} {kind} {rng.randint(1, 40)}",
            "city": city,
            "country": country,
            "accountId": account_id,
            "address": _address(rng.randint(1, 240), rng.randrange(len(STREETS)), country),
            "postalCode": f"{rng.randint(1000, 99999)}",
            "latitude": round(lat + rng.uniform(-0.05, 0.05), 5),
            "longitude": round(lon + rng.uniform(-0.05, 0.05), 5),
        }
        self.data.sites[site_id] = site
        return site

    def add_service(self, account_id: str, site: Wire | None, *, status: str | None = None) -> Wire:
        rng = self.rng
        stype, bandwidths = rng.choice(SERVICE_TYPES)
        bandwidth = rng.choice(bandwidths)
        sid = self.new_service_id()
        status = status or rng.choice(SERVICE_STATUSES)
        planned = (self.now + timedelta(days=rng.randint(-900, 60))).date()
        rfs = planned + timedelta(days=rng.randint(-5, 20)) if status == "RFS" else None
        where = site["city"] if site else "mobile"
        notes = (
            f"Primary access, {bandwidth}, BGP with customer AS6{rng.randint(1000, 4999)}.",
            f"Handover on {rng.choice(('1000BASE-LX', '10GBASE-LR', 'RJ45', 'SFP+'))}, "
            f"VLAN {rng.randint(100, 3999)}.",
            f"Backup via {rng.choice(('4G', 'second carrier', 'satellite'))}; "
            f"site contact on file.",
            "",
        )
        service = {
            "serviceId": sid,
            "serviceName": f"{stype} {bandwidth} – {where}",
            "status": status,
            "plannedDeliveryDate": planned.isoformat(),
            "readyForServiceDate": rfs.isoformat() if rfs else None,
            "technicalNote": rng.choice(notes) or None,
            "accountId": account_id,
            "siteId": site["siteId"] if site else None,
            "serviceType": stype,
            "bandwidth": bandwidth,
        }
        self.data.services[sid] = service
        return service

    def add_case(
        self,
        service: Wire,
        created: datetime,
        n_messages: int,
        *,
        hostile: bool = False,
        status: str | None = None,
    ) -> Wire:
        rng = self.rng
        ctype = CaseType.INCIDENT if rng.random() < 0.65 else CaseType.NON_INCIDENT
        subject = rng.choice(ALLOWED_SUBJECTS[ctype])
        priority = rng.choice(ALLOWED_PRIORITIES[ctype] + ("P3", "P3", "P4"))
        age = self.now - created
        on_pace = False
        if status is None:
            if age < timedelta(hours=2):
                status = rng.choice(("New", "New", "In Progress"))
            elif age < timedelta(days=3):
                status = rng.choice(("In Progress", "In Progress", "Awaiting Customer", "New"))
            elif age > timedelta(days=60) and isinstance(self.data.messages, LazyThreads):
                status = rng.choice(("Resolved", "Closed", "Closed", "Closed", "Closed"))
            else:
                status = rng.choice(("Resolved", "Closed", "Closed", "Closed", "In Progress"))
            on_pace = status in OPEN_AT_SEED and self.pace.random() >= LATE_SHARE
            if on_pace:  # a case still open is young for its priority (see PACE)
                created = self.now - timedelta(hours=PACE[priority][2] * self.pace.uniform(0.05, 0.6))
                age = self.now - created
        case_id = self.new_case_id()
        start = created - timedelta(minutes=rng.randint(1, 90))
        end: str | None = None
        if ctype == CaseType.INCIDENT and status in ("Resolved", "Closed"):
            end = iso(start + timedelta(minutes=rng.randint(10, 600)))
        case: Wire = {
            "id": case_id,
            "subject": subject,
            "type": str(ctype),
            "status": status,
            "priority": priority,
            "origin": rng.choice(("API", "Portal", "Portal", "Email", "Phone")),
            "createdDate": iso(created),
            "lastModifiedDate": iso(created),
            "customerReference": (
                f"{rng.choice(('INC', 'CHG', 'RITM', 'NOC'))}{rng.randint(100000, 999999)}"
                if rng.random() < 0.6
                else None
            ),
            "startOfIncident": iso(start) if ctype == CaseType.INCIDENT else None,
            "endOfIncident": end,
            "serviceId": service["serviceId"],
            "siteId": service["siteId"],
            "accountId": service["accountId"],
        }
        self.data.cases[case_id] = case
        site = self.data.sites.get(service["siteId"] or "")
        ctx = {
            "service": service["serviceName"],
            "service_id": service["serviceId"],
            "city": site["city"] if site else "mobile fleet",
            "case_id": case_id,
        }
        span = max(timedelta(minutes=5), min(age, timedelta(days=4)))
        times = sorted(created + span * rng.random() for _ in range(n_messages - 1))
        when = [created, *times]
        tail = self._on_pace(created, when[-1], priority) if on_pace else []
        threads = self.data.messages
        if isinstance(threads, LazyThreads):  # written when first read, from its own seed
            case["lastModifiedDate"] = iso(tail[-1][0] if tail else when[-1])
            seed = rng.getrandbits(32)  # its own generator is made when the thread is read
            threads.pending[case_id] = partial(
                self._lazy_thread, case, seed, subject, ctx, when, hostile, tail
            )
        else:
            threads[case_id] = []
            for i, ts in enumerate(when):
                from_customer = i == 0 or rng.random() < 0.45
                text = (customer_message if from_customer else provider_message)(
                    rng, subject, ctx, i
                )
                if hostile and i == 0:
                    text = "\n".join(HOSTILE_TEXTS) + "\n\n" + text
                self.add_message(case, text, from_customer=from_customer, at=ts)
            for i, (ts, from_customer) in enumerate(tail, start=len(when)):
                names = CUSTOMER_NAMES if from_customer else PROVIDER_NAMES
                text = (customer_message if from_customer else provider_message)(
                    self.pace, subject, ctx, i
                )
                self.add_message(
                    case, text, from_customer=from_customer, at=ts, sent_by=self.pace.choice(names)
                )
        if hostile:
            case["customerReference"] = "[bold red]REF[/] \x1b[31m42"
        return case

    def _on_pace(
        self, created: datetime, last: datetime, priority: str
    ) -> list[tuple[datetime, bool]]:
        """The messages an open case on pace ends with: the provider's update within its update
        interval (once the case is past its answer time), and sometimes the customer's reply to
        it. (time, from_customer) pairs, after ``last``."""
        answer, update, _ = (timedelta(hours=h) for h in PACE[priority])
        pace = self.pace
        if self.now - created < answer:
            return []
        at = max(last, self.now - update * pace.uniform(0.1, 0.6)) + timedelta(seconds=30)
        tail = [(min(at, self.now), False)]
        if pace.random() < 0.35:
            tail.append((tail[0][0] + (self.now - tail[0][0]) * pace.uniform(0.2, 0.9), True))
        return tail

    def _lazy_thread(
        self,
        case: Wire,
        seed: int,
        subject: str,
        ctx: dict[str, str],
        when: list[datetime],
        hostile: bool,
        tail: list[tuple[datetime, bool]],
    ) -> list[Wire]:
        """A seeded thread of ``--scale xl``, written when first read (ids by case and place)."""
        rng = random.Random(seed)
        out: list[Wire] = []
        paced = [(ts, None) for ts in when] + [(ts, who) for ts, who in tail]
        for i, (ts, who) in enumerate(paced):
            from_customer = who if who is not None else (i == 0 or rng.random() < 0.45)
            text = (customer_message if from_customer else provider_message)(rng, subject, ctx, i)
            if hostile and i == 0:
                text = "\n".join(HOSTILE_TEXTS) + "\n\n" + text
            out.append(
                {
                    "id": f"MSG-{case['id'][3:]}-{i:02d}",
                    "caseId": case["id"],
                    "message": text,
                    "type": "Customer" if from_customer else "Expereo",
                    "timestamp": iso(ts),
                    "sentBy": rng.choice(CUSTOMER_NAMES if from_customer else PROVIDER_NAMES),
                }
            )
        return out

    def add_message(
        self,
        case: Wire,
        text: str,
        *,
        from_customer: bool,
        at: datetime,
        sent_by: str | None = None,
    ) -> Wire:
        rng = self.rng
        msg = {
            "id": self.new_message_id(),
            "caseId": case["id"],
            "message": text,
            "type": "Customer" if from_customer else "Expereo",
            "timestamp": iso(at),
            "sentBy": sent_by or rng.choice(CUSTOMER_NAMES if from_customer else PROVIDER_NAMES),
        }
        self.data.messages[case["id"]].append(msg)
        if msg["timestamp"] > case["lastModifiedDate"]:
            case["lastModifiedDate"] = msg["timestamp"]
        return msg

    def add_invoices(self, account_id: str) -> None:
        rng = self.rng
        services = [s for s in self.data.services.values() if s["accountId"] == account_id]
        for month in range(6):
            day = (self.now.replace(day=1) - timedelta(days=31 * month)).replace(day=1).date()
            inv_id = f"INV-{account_id[-4:]}-{day:%Y%m}"
            currency = rng.choice(("EUR", "USD", "GBP"))
            lines = []
            for svc in rng.sample(services, min(len(services), 12)):
                site = self.data.sites.get(svc["siteId"] or "")
                lines.append(
                    {
                        "invoiceId": inv_id,
                        "invoiceCurrency": currency,
                        "invoiceDate": day.isoformat(),
                        "invoiceReference": f"EXP{day:%y%m}{rng.randint(10000, 99999)}",
                        "orderIDExpereo": svc["serviceId"],
                        "orderName": svc["serviceName"],
                        "orderRFSDate": svc["readyForServiceDate"],
                        "siteAddress": f"{site['address']}, {site['city']}" if site else None,
                        "sumInvoiceLineInvoiceCurrencyAmount": round(rng.uniform(90, 4800), 2),
                    }
                )
            self.data.invoices[inv_id] = {
                "invoiceId": inv_id,
                "invoiceReference": lines[0]["invoiceReference"] if lines else inv_id,
                "invoiceDate": day.isoformat(),
                "currency": currency,
                "totalAmount": round(
                    sum(x["sumInvoiceLineInvoiceCurrencyAmount"] for x in lines), 2
                ),
                "accountId": account_id,
            }
            self.data.invoice_lines[inv_id] = lines


#: where the house number comes before the street's name ("221 High Street"); elsewhere after
#: it ("Kaiserstrasse 12")
NUMBER_FIRST = frozenset({
    "United Kingdom", "United States", "Canada", "Australia", "New Zealand", "Ireland",
    "Singapore", "Hong Kong", "India", "South Africa", "Nigeria", "Kenya", "Philippines",
    "Israel", "United Arab Emirates", "Saudi Arabia", "France", "Belgium", "Morocco", "Egypt",
    "Malaysia", "Thailand", "Vietnam", "China", "South Korea", "Japan", "Indonesia",
})  # fmt: skip


def _address(number: int, draw: int, country: str) -> str:
    """A street address as the site's country names its streets (``LOCAL_STREETS``)."""
    streets = LOCAL_STREETS.get(country) or tuple(STREETS)
    street = streets[draw % len(streets)]
    return f"{number} {street}" if country in NUMBER_FIRST else f"{street} {number}"
