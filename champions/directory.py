"""The champion directory: who the Technology Champions are, stored in the `champions` collection."""

import logging
from collections.abc import Sequence
from dataclasses import replace

from champions.champion import Champion
from domain.clock import to_iso, utc_now
from domain.errors import NotFound
from storage import Delete, Put, Store, VersionConflict

logger = logging.getLogger(__name__)

CHAMPIONS = "champions"


class ChampionDirectory:
    """Reads and changes champions; each change is a conditional write, so concurrent changes never overwrite each other."""

    def __init__(self, store: Store):
        self.store = store

    async def get(self, champion_id: str) -> Champion | None:
        doc = await self.store.get(CHAMPIONS, champion_id)
        return Champion.from_doc(doc) if doc else None

    async def all(self) -> list[Champion]:
        """Return every champion, sorted by name."""
        return sorted((Champion.from_doc(doc) for doc in await self.store.find(CHAMPIONS)), key=lambda champion: (champion.name, champion.id))

    async def save_all(self, champions: Sequence[Champion], keep_availability: Sequence[str] = ()) -> tuple[int, int]:
        """Add or update the champions in one atomic batch; return how many were added and how many updated.

        Champions whose id is in `keep_availability` keep the available flag
        already stored, because their import row did not set it.
        """
        while True:
            ops = []
            added = updated = 0
            now = to_iso(utc_now())
            for champion in champions:
                current = await self.store.get(CHAMPIONS, champion.id)
                if current is not None and champion.id in keep_availability:
                    champion = replace(champion, available=bool(current.get("available", True)))
                doc = {**champion.to_doc(), "updated_at": now}
                ops.append(Put(CHAMPIONS, champion.id, doc, current["_version"] if current else 0))
                if current is None:
                    added += 1
                else:
                    updated += 1
            try:
                await self.store.apply(ops)
            except VersionConflict:
                continue
            logger.info("champion directory: %d added, %d updated", added, updated)
            return added, updated

    async def set_available(self, champion_id: str, available: bool) -> Champion:
        """Set the champion's available flag; raises NotFound for someone who is not a champion."""
        while True:
            doc = await self.store.get(CHAMPIONS, champion_id)
            if doc is None:
                raise NotFound("You are not in the Technology Champion directory. Ask the helpdesk admin to add you.")
            version = doc.pop("_version")
            doc.update(available=available, updated_at=to_iso(utc_now()))
            try:
                await self.store.apply([Put(CHAMPIONS, champion_id, doc, version)])
            except VersionConflict:
                continue
            logger.info("champion %s set %s", champion_id, "available" if available else "unavailable")
            return Champion.from_doc(doc)

    async def remove(self, champion_id: str) -> None:
        """Delete a champion from the directory; their past matches and touches stay."""
        if await self.store.get(CHAMPIONS, champion_id) is None:
            raise NotFound(f"No champion has the id {champion_id}.")
        await self.store.apply([Delete(CHAMPIONS, champion_id)])
        logger.info("champion %s removed from the directory", champion_id)
