"""Reading a list page item by item, without a server: what is skipped and how it is named,
what is repaired, the envelope, and the walk's checks on ``links.next`` (docs/reliability.md,
"Repair, don't drop"; the expected values are written out by hand)."""

from __future__ import annotations

import logging
from datetime import date

import httpx
import pytest

from expereo_tui.api.errors import PaginationError, ServerError
from expereo_tui.api.models import Case, CaseMessage, Service, Site, repairs_of
from expereo_tui.api.pagination import PageWalk, SkippedItem, read_envelope, read_items


def test_an_item_without_an_id_and_with_invalid_text_is_skipped_naming_the_field() -> None:
    items, skipped = read_items("/v2/cases", [{"subject": "bad \udcff"}], Case)
    assert items == []
    assert skipped == [
        SkippedItem(path="/v2/cases", item_id=None, field="subject", reason="invalid_text")
    ]


def test_a_hostile_key_is_named_escaped_when_its_item_is_skipped() -> None:
    _, skipped = read_items("/v2/cases", [{"note\x1b[2J": "bad \udcff"}], Case)
    assert [s.field for s in skipped] == ["'note\\x1b[2J'"]


def test_an_id_of_the_wrong_type_is_skipped_and_named_up_to_200_characters() -> None:
    items, skipped = read_items("/v2/cases", [{"id": 12345}, {"id": int("9" * 300)}], Case)
    assert items == []
    assert skipped == [
        SkippedItem(path="/v2/cases", item_id="12345", field="id", reason="string_type"),
        SkippedItem(path="/v2/cases", item_id="9" * 200, field="id", reason="string_type"),
    ]


def test_each_skipped_item_is_logged_with_its_id_field_and_reason(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.INFO, logger="expereo_tui.api"):
        read_items("/v2/sites", [{"siteId": 42}, "x", {"name": "no id"}], Site)
    assert [r.getMessage() for r in caplog.records] == [
        "skipped an item of /v2/sites: id=42 field=siteId reason=string_type",
        "skipped an item of /v2/sites: id=- field=- reason=model_type",
        "skipped an item of /v2/sites: id=- field=siteId reason=missing",
    ]
    assert {r.levelname for r in caplog.records} == {"WARNING"}


def test_an_item_that_is_not_an_object_is_skipped() -> None:
    items, skipped = read_items("/v2/cases", ["CS-1", 7, None], Case)
    assert items == []
    assert [(s.item_id, s.field, s.reason) for s in skipped] == [(None, "", "model_type")] * 3


def test_a_repaired_item_with_a_hostile_id_is_logged_escaped(
    caplog: pytest.LogCaptureFixture,
) -> None:
    raw = [{"id": "C1\nFORGED", "createdDate": "never"}]
    with caplog.at_level(logging.INFO, logger="expereo_tui.api"):
        items, _ = read_items("/v2/cases", raw, Case)
    assert [i.id for i in items] == ["C1\nFORGED"]
    assert [r.getMessage() for r in caplog.records] == [
        "repaired an item of /v2/cases: id='C1\\nFORGED' field=createdDate"
    ]


def test_each_repair_is_logged_with_its_field_or_a_dash(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The log names the repaired field (a dash for invalid text, which is the whole item's),
    and a dash for an item without an id."""
    raw = [{"id": "C2", "subject": "bad \udcff"}]
    with caplog.at_level(logging.INFO, logger="expereo_tui.api"):
        read_items("/v2/cases", raw, Case)
        read_items("/v2/cases/C2/case-messages", [{"timestamp": "never"}], CaseMessage)
    assert [r.getMessage() for r in caplog.records] == [
        "repaired an item of /v2/cases: id=C2 field=-",
        "repaired an item of /v2/cases/C2/case-messages: id=- field=timestamp",
    ]


def test_every_lone_surrogate_becomes_u_fffd_and_nothing_else_changes() -> None:
    """The whole surrogate range D800–DFFF, its last code point too; E000 (private use) is
    valid text and stays; lists and keys are repaired as well."""
    raw = [
        {
            "id": "C1",
            "subject": "a\ud800b\udfffc\ue000",
            "vendorTags": ["ok", "bad \udcff", 3],
        }
    ]
    items, skipped = read_items("/v2/cases", raw, Case)
    assert skipped == []
    [case] = items
    assert case.subject == "a\ufffdb\ufffdc\ue000"
    assert (case.model_extra or {})["vendorTags"] == ["ok", "bad \ufffd", 3]
    assert repairs_of(case) == ["invalid text → U+FFFD"]


def test_a_field_named_in_python_style_is_repaired_too() -> None:
    """The models accept their field names as well as the wire's (populate_by_name)."""
    items, skipped = read_items("/v2/cases", [{"id": "C1", "created_date": "never"}], Case)
    assert skipped == []
    assert repairs_of(items[0]) == [
        "created_date: unreadable (datetime_from_date_parsing), left empty"
    ]


def test_the_envelope_must_be_an_object_with_a_data_array() -> None:
    for body in ([], "x", None, {"data": {}}, {"data": None}, {"metadata": {}}):
        with pytest.raises(ServerError) as info:
            read_envelope(body, "/v2/cases")
        assert str(info.value) == "The API sent a list /v2/cases we cannot read (no data array)."


def test_the_envelope_keeps_its_metadata_and_links() -> None:
    page = read_envelope(
        {
            "data": [{"id": "C1"}],
            "metadata": {"offset": 20, "limit": 20, "hasMore": True, "total": 57},
            "links": {"next": "/v2/cases?page[offset]=40", "self": "/v2/cases?page[offset]=20"},
        },
        "/v2/cases",
    )
    assert page.data == [{"id": "C1"}]
    assert (page.metadata.offset, page.metadata.limit, page.metadata.total) == (20, 20, 57)
    assert page.metadata.has_more is True
    assert page.links.next == "/v2/cases?page[offset]=40"
    assert page.links.self_ == "/v2/cases?page[offset]=20"


def test_an_unreadable_envelope_is_a_server_error_counting_its_problems() -> None:
    with pytest.raises(ServerError) as info:
        read_envelope({"data": [], "metadata": {"offset": "x", "limit": "y"}}, "/v2/sites")
    assert str(info.value) == "The API sent a list /v2/sites we cannot read: 2 problem(s)."
    with pytest.raises(ServerError):
        read_envelope({"data": [], "links": {"next": ["x"]}}, "/v2/sites")


def test_services_are_read_by_their_service_id() -> None:
    items, skipped = read_items("/v2/services", [{"serviceId": 4711}], Service)
    assert items == [] and [s.item_id for s in skipped] == ["4711"]
    items, skipped = read_items("/v2/cases/C1/case-messages", [{"id": 7}], CaseMessage)
    assert [s.item_id for s in skipped] == ["7"]


def test_a_next_link_that_is_not_a_url_cuts_the_list_short() -> None:
    walk = PageWalk("http://api.example.com", "/v2/cases")
    here = httpx.URL("http://api.example.com/v2/cases")
    with pytest.raises(PaginationError) as info:
        walk.next_url(here, "http://[::1")
    assert info.value.code == "bad-link"


def test_the_default_port_of_each_scheme_is_the_same_origin() -> None:
    here = httpx.URL("https://api.example.com/v2/cases")
    walk = PageWalk("https://api.example.com", "/v2/cases")
    assert walk.next_url(here, "https://api.example.com:443/v2/cases?page[offset]=20") == (
        httpx.URL("https://api.example.com:443/v2/cases?page[offset]=20")
    )
    with pytest.raises(PaginationError):
        walk.next_url(here, "https://api.example.com:80/v2/cases?page[offset]=20")
    walk = PageWalk("http://api.example.com:8080", "/v2/cases")
    here = httpx.URL("http://api.example.com:8080/v2/cases")
    assert walk.next_url(here, "/v2/cases?page[offset]=20") is not None
    with pytest.raises(PaginationError):
        walk.next_url(here, "http://api.example.com/v2/cases?page[offset]=20")
    with pytest.raises(PaginationError):
        walk.next_url(here, "http://api.example.com:9090/v2/cases?page[offset]=20")


def test_a_refused_link_says_why_in_words_and_in_the_log(
    caplog: pytest.LogCaptureFixture,
) -> None:
    walk = PageWalk("http://api.example.com", "/v2/sites")
    here = httpx.URL("http://api.example.com/v2/sites?page[limit]=20")
    walk.visit(here)
    with caplog.at_level(logging.WARNING, logger="expereo_tui.api"):
        with pytest.raises(PaginationError) as off:
            walk.next_url(here, "https://evil.example.com/v2/sites?page[offset]=20")
        with pytest.raises(PaginationError) as repeated:
            walk.next_url(here, "/v2/sites?page[limit]=20#again")  # a fragment is no new page
        with pytest.raises(PaginationError) as bad:
            walk.next_url(here, "http://[::1")
    assert (off.value.code, off.value.path, off.value.host) == (
        "off-origin",
        "/v2/sites",
        "evil.example.com",
    )
    assert str(off.value) == (
        "The API's next-page link of /v2/sites points to another server (evil.example.com); "
        "it was not followed."
    )
    assert (repeated.value.code, repeated.value.path, repeated.value.host) == (
        "repeated",
        "/v2/sites",
        None,
    )
    assert str(repeated.value) == (
        "The API's next-page link of /v2/sites repeats a page already read; the list was cut "
        "short rather than read forever."
    )
    assert (bad.value.code, bad.value.path) == ("bad-link", "/v2/sites")
    assert str(bad.value) == (
        "The API's next-page link of /v2/sites is not a URL; the list was cut short."
    )
    assert [r.getMessage() for r in caplog.records] == [
        "refused the next-page link of /v2/sites: it points to https://evil.example.com, not "
        "the API's origin",
        "refused the next-page link of /v2/sites: that page was already read",
    ]


def test_a_page_is_the_same_page_whatever_the_order_of_its_parameters() -> None:
    walk = PageWalk("http://api.example.com", "/v2/cases")
    first = httpx.URL("http://api.example.com/v2/cases?sort=-x&page[limit]=20&page[offset]=20")
    walk.visit(first)
    with pytest.raises(PaginationError):
        walk.next_url(first, "/v2/cases?page[offset]=20&page[limit]=20&sort=-x")
    # another value, another parameter or another path is another page
    for link in (
        "/v2/cases?page[offset]=40&page[limit]=20&sort=-x",
        "/v2/cases?page[offset]=20&page[limit]=20",
        "/v2/cases?page[offset]=20&page[limit]=20&sort=-x&sort=y",
        "/v2/sites?page[offset]=20&page[limit]=20&sort=-x",
    ):
        assert walk.next_url(first, link) is not None, link


def test_each_list_names_its_items_by_their_identifying_field() -> None:
    from expereo_tui.api.models import Account, ApiModel, CaseUpdate, Invoice, PageLinks
    from expereo_tui.api.pagination import id_field

    assert id_field(Case) == "id"
    assert id_field(CaseMessage) == "id"  # optional, still its id
    assert id_field(Service) == "serviceId"
    assert id_field(Site) == "siteId"
    assert id_field(Account) == "accountId"
    assert id_field(Invoice) == "invoiceId"
    assert id_field(CaseUpdate) is None and id_field(PageLinks) is None

    class Order(ApiModel):  # an optional *_id before the required one is not the id
        site_id: str | None = None
        order_id: str

    assert id_field(Order) == "orderId"


def test_a_repair_takes_as_many_passes_as_it_needs() -> None:
    """Invalid text is found before the fields are read: repaired first, then the bad date
    the next pass names."""
    raw = [{"id": "C1", "subject": "bad \udcff", "createdDate": "never"}]
    [case], skipped = read_items("/v2/cases", raw, Case)
    assert skipped == []
    assert (case.subject, case.created_date) == ("bad \ufffd", None)
    assert repairs_of(case) == [
        "invalid text → U+FFFD",
        "createdDate: unreadable (datetime_from_date_parsing), left empty",
    ]


def test_a_date_that_is_not_one_is_left_empty_whatever_its_type() -> None:
    raw = [
        {"serviceId": "S1", "plannedDeliveryDate": "never"},
        {"serviceId": "S2", "plannedDeliveryDate": 20260301},
        {"serviceId": "S3", "plannedDeliveryDate": "2026-03-01T10:30:00Z"},
    ]
    items, skipped = read_items("/v2/services", raw, Service)
    assert skipped == []
    assert [s.planned_delivery_date for s in items] == [None, None, date(2026, 3, 1)]
    assert [repairs_of(s) for s in items] == [
        ["plannedDeliveryDate: unreadable (date_from_datetime_parsing), left empty"],
        ["plannedDeliveryDate: unreadable (date_from_datetime_inexact), left empty"],
        ["plannedDeliveryDate: a date-time, read as its date"],
    ]


def test_an_object_in_a_text_field_is_kept_as_its_json_up_to_500_characters() -> None:
    raw = [
        {"id": "C1", "subject": {"site": "Zürich"}},
        {"id": "C2", "subject": ["x" * 600]},
    ]
    items, skipped = read_items("/v2/cases", raw, Case)
    assert skipped == []
    assert items[0].subject == '{"site": "Zürich"}'
    assert items[1].subject == '["' + "x" * 498
    assert repairs_of(items[0]) == ["subject: not text, kept as its JSON"]
