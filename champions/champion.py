"""A Technology Champion: a teacher who helps colleagues at or near their school (support level 3)."""

from dataclasses import asdict, dataclass, fields
from typing import Any

# Listed in a champion's categories, it means they help with every category of the catalogue.
ANY_CATEGORY = "*"


@dataclass(frozen=True)
class Champion:
    """One champion as stored in the `champions` collection, keyed by Entra ID object id.

    `upn` is the user principal name, which Teams chat links need, and
    `monthly_capacity` the number of teachers they accept to help in one
    calendar month (in the district's time zone).
    """

    id: str
    name: str
    upn: str
    school: str
    categories: tuple[str, ...]
    monthly_capacity: int
    available: bool = True

    def helps_with(self, category: str) -> bool:
        return category in self.categories or ANY_CATEGORY in self.categories

    def to_doc(self) -> dict[str, Any]:
        doc = asdict(self)
        doc["categories"] = list(self.categories)
        return doc

    @classmethod
    def from_doc(cls, doc: dict[str, Any]) -> "Champion":
        known = {item.name for item in fields(cls)}
        values = {name: value for name, value in doc.items() if name in known}
        values["categories"] = tuple(values.get("categories") or ())
        return cls(**values)
