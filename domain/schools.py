"""The school directory: each school's name, level, community and teacher count."""

from dataclasses import dataclass


@dataclass(frozen=True)
class School:
    name: str
    level: str
    community: str = ""
    teachers: int = 0


@dataclass(frozen=True)
class SchoolDirectory:
    schools: tuple[School, ...]

    def __post_init__(self) -> None:
        names = [school.name.casefold() for school in self.schools]
        repeated = sorted({name for name in names if names.count(name) > 1})
        if repeated:
            raise ValueError(f"school names must be unique, repeated: {', '.join(repeated)}")

    def get(self, name: str) -> School | None:
        """Return the school with this name (case-insensitive), or None."""
        key = name.strip().casefold()
        return next((school for school in self.schools if school.name.casefold() == key), None)
