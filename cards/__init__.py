"""Adaptive Card templates (JSON files in this folder) and the code that fills them."""

from cards.builders import (
    attachment,
    conversation_card,
    digest_card,
    intake_card,
    literal,
    my_requests_card,
    notice_card,
    queue_card,
    request_card,
    suggestions_card,
    teacher_update_card,
    welcome_card,
    with_fallbacks,
)
from cards.knowledge_cards import article_draft_card, article_preview, article_result_card, plain_text
from cards.session_cards import (
    session_follow_up_card,
    session_invitation_card,
    session_manage_card,
    session_plan_card,
    sessions_overview_card,
)
from cards.templates import TemplateError, render, template_names

__all__ = [
    "TemplateError",
    "article_draft_card",
    "article_preview",
    "article_result_card",
    "attachment",
    "conversation_card",
    "digest_card",
    "intake_card",
    "literal",
    "my_requests_card",
    "notice_card",
    "plain_text",
    "queue_card",
    "render",
    "request_card",
    "session_follow_up_card",
    "session_invitation_card",
    "session_manage_card",
    "session_plan_card",
    "sessions_overview_card",
    "suggestions_card",
    "teacher_update_card",
    "template_names",
    "welcome_card",
    "with_fallbacks",
]
