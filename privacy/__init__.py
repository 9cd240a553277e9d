"""Personal data: export what the helpdesk stores about a person, forget a person, and delete old closed requests."""

from privacy.export import export_person
from privacy.forget import FORMER_NAME, forget_person, pseudonym_for
from privacy.retention import purge_closed

__all__ = ["FORMER_NAME", "export_person", "forget_person", "pseudonym_for", "purge_closed"]
