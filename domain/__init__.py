"""The helpdesk domain: requests, the ladder, people and schools. It knows nothing of Teams."""
