"""Adaptive Card templates (JSON files in this folder) and the code that fills them."""

from cards.builders import (
    attachment,
    intake_card,
    literal,
    my_requests_card,
    notice_card,
    request_card,
    suggestions_card,
    teacher_update_card,
    welcome_card,
    with_fallbacks,
)
from cards.templates import TemplateError, render, template_names

__all__ = [
    "TemplateError",
    "attachment",
    "intake_card",
    "literal",
    "my_requests_card",
    "notice_card",
    "render",
    "request_card",
    "suggestions_card",
    "teacher_update_card",
    "template_names",
    "welcome_card",
    "with_fallbacks",
]
