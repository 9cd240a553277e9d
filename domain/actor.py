"""The person behind an activity, with the roles the configuration gives them."""

from dataclasses import dataclass
from enum import StrEnum


class Role(StrEnum):
    TEACHER = "teacher"
    TRIAGER = "triager"
    TST = "tst"
    LEADER = "leader"
    ADMIN = "admin"


@dataclass(frozen=True)
class Actor:
    """The person acting: their Entra ID object id, display name and roles."""

    id: str
    name: str
    roles: frozenset[Role] = frozenset({Role.TEACHER})

    def has(self, role: Role) -> bool:
        """Return True when the actor has the role; admins have every role."""
        return role in self.roles or Role.ADMIN in self.roles
