"""A searchable service picker: type part of an id, name, type, site, city or country."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.message import Message
from textual.widgets import OptionList
from textual.widgets.option_list import Option

from expereo_tui.ui.safe_text import safe
from expereo_tui.ui.widgets.in_order import Input

if TYPE_CHECKING:
    from expereo_tui.api.models import Service
    from expereo_tui.store.store import Store


def service_label(service: Service, store: Store) -> Text:
    site = store.inventory.site(service.site_id) if service.site_id else None
    where = f"{site.name}, {site.country}" if site else "no site"
    return Text(
        safe(f"{service.service_id} · {service.service_name or ''} · {where}", one_line=True)
    )


class ServicePicker(Vertical):
    DEFAULT_CSS = """
    ServicePicker { height: auto; }
    ServicePicker OptionList { height: auto; max-height: 6; display: none; }
    ServicePicker.open OptionList { display: block; }
    """

    class Picked(Message):
        def __init__(self, service_id: str | None) -> None:
            super().__init__()
            self.service_id = service_id

    def __init__(self, store: Store, service_id: str | None = None, **kw: object) -> None:
        super().__init__(**kw)  # type: ignore[arg-type]
        self.store = store
        self.service_id = service_id

    def compose(self) -> ComposeResult:
        yield Input(
            safe(self.service_id, one_line=True),
            placeholder="search services: id, name, site, city",
            id="service-search",
        )
        yield OptionList(id="service-options")

    @on(Input.Changed, "#service-search")
    def _search(self, event: Input.Changed) -> None:
        text = event.value.strip()
        options = self.query_one(OptionList)
        options.clear_options()
        exact = self.store.inventory.service(text) if text else None
        if exact is not None:
            self._pick(exact.service_id, close=True)
            return
        if self.service_id is not None:
            self.service_id = None
            self.post_message(self.Picked(None))
        if len(text) < 2:
            self.remove_class("open")
            return
        found = self.store.inventory.search_services(text, limit=30)
        for svc in found:
            options.add_option(Option(service_label(svc, self.store), id=svc.service_id))
        self.set_class(bool(found), "open")

    @on(Input.Submitted, "#service-search")
    def _submit(self) -> None:
        options = self.query_one(OptionList)
        if options.option_count:
            option = options.get_option_at_index(options.highlighted or 0)
            if option.id:
                self._pick(option.id, close=True)

    @on(OptionList.OptionSelected, "#service-options")
    def _selected(self, event: OptionList.OptionSelected) -> None:
        if event.option.id:
            self._pick(event.option.id, close=True)

    def _pick(self, service_id: str, *, close: bool) -> None:
        self.service_id = service_id
        search = self.query_one("#service-search", Input)
        if search.value != safe(service_id, one_line=True):
            with search.prevent(Input.Changed):
                search.value = safe(service_id, one_line=True)
        if close:
            self.remove_class("open")
        self.post_message(self.Picked(service_id))

    def key_down(self) -> None:
        if self.has_class("open"):
            self.query_one(OptionList).focus()
