"""The support ladder: intake, triage, routing, claims and resolution."""

from escalation.helpdesk import Helpdesk, Notification
from escalation.roles import RoleDirectory

__all__ = ["Helpdesk", "Notification", "RoleDirectory"]
