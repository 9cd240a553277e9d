"""An offer of a level-3 request to one champion, and the match that tracks a request's offers."""

from dataclasses import dataclass, field
from enum import StrEnum

from domain.document import VersionedDocument

OFFERS = "champion_offers"
MATCHES = "champion_matches"


class OfferState(StrEnum):
    OFFERED = "offered"
    ACCEPTED = "accepted"
    DECLINED = "declined"
    EXPIRED = "expired"
    # The champion helped and marked the connection done.
    DONE = "done"


# Offers that count towards a champion's monthly load.
COUNTED = (OfferState.ACCEPTED.value, OfferState.DONE.value)


class MatchState(StrEnum):
    # An offer waits for the champion's answer.
    OFFERING = "offering"
    # A champion accepted; teacher and champion were introduced.
    CONNECTED = "connected"
    # Every champion declined or let the offer lapse, so the TST chooses again.
    RETURNED = "returned"
    DONE = "done"


@dataclass
class Offer(VersionedDocument):
    """One offer as stored in `champion_offers`, keyed by `id`; times are UTC ISO texts."""

    id: str
    request: int
    champion_id: str
    champion_name: str
    champion_upn: str
    teacher_id: str
    teacher_name: str
    school: str
    category: str
    offered_by: str
    offered_at: str
    expires_at: str
    state: str = OfferState.OFFERED.value
    answered_at: str | None = None
    done_at: str | None = None
    version: int = 0

    @property
    def status(self) -> OfferState:
        return OfferState(self.state)



@dataclass
class Match(VersionedDocument):
    """The champion search for one request, stored in `champion_matches` under the request number.

    `tried` lists the champions offered the request in this round, so the
    next offer goes to someone new; a TST's offer after the request came
    back starts a new round.
    """

    request: int
    state: str
    offer: str | None = None
    tried: list[str] = field(default_factory=list)
    tst_id: str = ""
    tst_name: str = ""
    updated_at: str = ""
    version: int = 0

    @property
    def status(self) -> MatchState:
        return MatchState(self.state)

