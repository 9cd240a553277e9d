"""Technology Champions (support level 3): the champion directory, its import, matching and offers."""

from champions.champion import ANY_CATEGORY, Champion
from champions.directory import CHAMPIONS, ChampionDirectory
from champions.importer import ChampionImportError, ImportedChampion, load_champions
from champions.matcher import ChampionMatcher, Impact
from champions.matching import Candidate, rank_champions
from champions.offer import MATCHES, OFFERS, Match, MatchState, Offer, OfferState

__all__ = [
    "ANY_CATEGORY",
    "CHAMPIONS",
    "MATCHES",
    "OFFERS",
    "Candidate",
    "Champion",
    "ChampionDirectory",
    "ChampionImportError",
    "ChampionMatcher",
    "Impact",
    "ImportedChampion",
    "Match",
    "MatchState",
    "Offer",
    "OfferState",
    "load_champions",
    "rank_champions",
]
