"""Conversation flows: intake, my requests, welcome and help, feedback, triage and claims."""
