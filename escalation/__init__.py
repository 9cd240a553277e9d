"""The support ladder: intake, triage, routing, claims and resolution."""

from escalation.helpdesk import Helpdesk, Notification
from escalation.ladder import Ladder
from escalation.roles import RoleDirectory

__all__ = ["Helpdesk", "Ladder", "Notification", "RoleDirectory"]
