"""Roles from configuration: who is a triager, a TST, a leader or an admin."""

from config.settings import RoleSettings
from domain.actor import Actor, Role


UNKNOWN_NAME = "there"


class RoleDirectory:
    """Gives each Entra ID object id its roles; everyone is at least a teacher."""

    def __init__(self, settings: RoleSettings):
        self._members = {
            Role.ADMIN: settings.admins,
            Role.TRIAGER: settings.triagers,
            Role.TST: settings.tsts,
            Role.LEADER: settings.leaders,
        }

    def actor(self, user_id: str, name: str) -> Actor:
        """Return the actor with every role the configuration gives `user_id`."""
        roles = {Role.TEACHER}
        roles.update(role for role, members in self._members.items() if user_id in members)
        return Actor(id=user_id, name=name or UNKNOWN_NAME, roles=frozenset(roles))
