"""The helpdesk domain: requests, the ladder, people and schools. It does not depend on Teams."""
