"""People the bot has met: names, profile defaults and how to reach them."""

from typing import Any

from domain.clock import to_iso, utc_now
from storage import Put, Store, VersionConflict

PROFILE_FIELDS = ("school", "grade", "subject")


class PeopleDirectory:
    """Stores one document per person, keyed by Entra ID object id.

    `contact` is an opaque, JSON-ready description of the person's personal
    chat with the bot, kept so the bot can message them later.
    """

    def __init__(self, store: Store):
        self.store = store

    async def get(self, person_id: str) -> dict[str, Any] | None:
        return await self.store.get("people", person_id)

    async def remember(self, person_id: str, name: str, contact: dict[str, Any] | None = None) -> None:
        """Record the person's name and, when given, their personal-chat contact; writes only on change.

        Passing a contact clears the `unreachable` mark, because the person just wrote to the bot again.
        """
        await self._update(person_id, lambda doc: _merge(doc, {"name": name, **({"contact": contact, "unreachable": None} if contact else {})}))

    async def claim_welcome(self, person_id: str, name: str) -> bool:
        """Mark the person as greeted; return True only for the first call, so the welcome is sent once."""
        first = False

        def change(doc: dict[str, Any]) -> bool:
            nonlocal first
            if doc.get("welcomed_at"):
                first = False
                return False
            first = True
            doc["welcomed_at"] = to_iso(utc_now())
            doc.setdefault("name", name)
            return True

        await self._update(person_id, change)
        return first

    async def profile(self, person_id: str) -> dict[str, str]:
        """Return the school, grade and subject the person gave last time, so the form never asks twice."""
        doc = await self.get(person_id) or {}
        return {name: doc.get(name, "") for name in PROFILE_FIELDS}

    async def save_profile(self, person_id: str, **values: str) -> None:
        await self._update(person_id, lambda doc: _merge(doc, {k: v for k, v in values.items() if k in PROFILE_FIELDS}))

    async def mark_unreachable(self, person_id: str, reason: str) -> None:
        await self._update(person_id, lambda doc: _merge(doc, {"unreachable": reason}))

    async def _update(self, person_id: str, change) -> None:
        while True:
            doc = await self.get(person_id)
            version = doc.pop("_version") if doc else 0
            doc = doc or {"id": person_id}
            if not change(doc):
                return
            try:
                await self.store.apply([Put("people", person_id, doc, version)])
                return
            except VersionConflict:
                continue


def _merge(doc: dict[str, Any], values: dict[str, Any]) -> bool:
    """Copy the values into doc; return True when anything changed."""
    changed = False
    for name, value in values.items():
        if doc.get(name) != value:
            doc[name] = value
            changed = True
    return changed
