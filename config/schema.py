"""JSON Schemas for the config files, so a bad setting is reported by its path."""

_CLOCK_PATTERN = "^([01][0-9]|2[0-3]):[0-5][0-9]$"

_ID_LIST = {"type": "array", "items": {"type": "string", "minLength": 1}}

_CHANNEL = {
    "type": "object",
    "required": ["name", "team_id", "channel_id"],
    "additionalProperties": False,
    "properties": {
        "name": {"type": "string", "minLength": 1},
        "team_id": {"type": "string", "minLength": 1},
        "channel_id": {"type": "string", "minLength": 1},
    },
}

SETTINGS_SCHEMA = {
    "type": "object",
    "required": ["district", "catalogue", "schools", "knowledge_base", "channels"],
    "additionalProperties": False,
    "properties": {
        "district": {
            "type": "object",
            "required": ["name"],
            "additionalProperties": False,
            "properties": {
                "name": {"type": "string", "minLength": 1},
                "timezone": {"type": "string", "minLength": 1},
                "help_url": {"type": "string", "minLength": 1},
            },
        },
        "data_dir": {"type": "string", "minLength": 1},
        "database_url": {"type": "string", "minLength": 1},
        "catalogue": {"type": "string", "minLength": 1},
        "schools": {"type": "string", "minLength": 1},
        "knowledge_base": {"type": "string", "minLength": 1},
        "roles": {
            "type": "object",
            "additionalProperties": False,
            "properties": {name: _ID_LIST for name in ("admins", "triagers", "tsts", "leaders")},
        },
        "channels": {
            "type": "object",
            "required": ["triage", "tst"],
            "additionalProperties": False,
            "properties": {
                "triage": _CHANNEL,
                "tst": {
                    "type": "array",
                    "minItems": 1,
                    "items": {
                        **_CHANNEL,
                        "required": ["key", *_CHANNEL["required"]],
                        "properties": {**_CHANNEL["properties"], "key": {"type": "string", "pattern": "^[a-z0-9][a-z0-9-]*$"}},
                    },
                },
                "default_tst": {"type": "string"},
            },
        },
        "routing": {
            "type": "object",
            "description": "Category id to the TST channel key that serves it; unlisted categories use channels.default_tst.",
            "additionalProperties": {"type": "string"},
        },
        "calendar": {
            "type": "object",
            "additionalProperties": False,
            "properties": {
                "school_day_start": {"type": "string", "pattern": _CLOCK_PATTERN},
                "school_day_end": {"type": "string", "pattern": _CLOCK_PATTERN},
                "non_school_days": {
                    "type": "array",
                    "items": {"type": "string", "pattern": "^[0-9]{4}-[0-9]{2}-[0-9]{2}(\\.\\.[0-9]{4}-[0-9]{2}-[0-9]{2})?$"},
                },
            },
        },
        "digest": {
            "type": "object",
            "additionalProperties": False,
            "properties": {
                "time": {"type": "string", "pattern": _CLOCK_PATTERN},
                "max_items": {"type": "integer", "minimum": 1, "maximum": 8},
            },
        },
        "sla": {
            "type": "object",
            "additionalProperties": False,
            "properties": {
                "untriaged_school_days": {"type": "integer", "minimum": 1, "maximum": 30},
                "unclaimed_school_hours": {"type": "integer", "minimum": 1, "maximum": 200},
                "waiting_on_teacher_days": {"type": "integer", "minimum": 1, "maximum": 60},
                "check_minutes": {"type": "integer", "minimum": 1, "maximum": 1440},
            },
        },
        "retention": {
            "type": "object",
            "additionalProperties": False,
            "properties": {
                "closed_request_years": {"type": "integer", "minimum": 1, "maximum": 100},
            },
        },
        "graph": {
            "type": "object",
            "description": "Microsoft Graph; HELPDESK_GRAPH_BASE_URL and HELPDESK_GRAPH_AUTHORITY override the addresses.",
            "additionalProperties": False,
            "properties": {
                "base_url": {"type": "string", "minLength": 1},
                "authority": {"type": "string", "minLength": 1},
                "timeout_seconds": {"type": "number", "exclusiveMinimum": 0, "maximum": 60},
                "max_attempts": {"type": "integer", "minimum": 1, "maximum": 10},
                "max_wait_seconds": {"type": "number", "minimum": 0, "maximum": 60},
            },
        },
        "sessions": {
            "type": "object",
            "additionalProperties": False,
            "properties": {
                "duration_minutes": {"type": "integer", "minimum": 15, "maximum": 180},
                "min_group_size": {"type": "integer", "minimum": 2, "maximum": 50},
                "max_group_size": {"type": "integer", "minimum": 2, "maximum": 50},
                "level_specific_categories": {"type": "array", "items": {"type": "string", "minLength": 1}},
            },
        },
        "champions": {
            "type": "object",
            "description": "Technology Champion matches (support level 3).",
            "additionalProperties": False,
            "properties": {
                "offer_hours": {"type": "integer", "minimum": 1, "maximum": 336},
                "matches_shown": {"type": "integer", "minimum": 1, "maximum": 10},
            },
        },
        "visits": {
            "type": "object",
            "description": "Site visits and in-class support (support levels 4 and 5).",
            "additionalProperties": False,
            "properties": {
                "duration_minutes": {"type": "integer", "minimum": 15, "maximum": 480},
                "reminder_time": {"type": "string", "pattern": _CLOCK_PATTERN},
            },
        },
        "limits": {
            "type": "object",
            "additionalProperties": False,
            "properties": {
                "description_max_chars": {"type": "integer", "minimum": 100, "maximum": 20000},
                "suggestions": {"type": "integer", "minimum": 1, "maximum": 5},
            },
        },
    },
}

CATALOGUE_SCHEMA = {
    "type": "object",
    "required": ["categories"],
    "properties": {
        "categories": {
            "type": "array",
            "minItems": 1,
            "items": {
                "type": "object",
                "required": ["id", "name"],
                "additionalProperties": False,
                "properties": {
                    "id": {"type": "string", "pattern": "^[a-z0-9][a-z0-9-]*$"},
                    "name": {"type": "string", "minLength": 1, "maxLength": 80},
                    "description": {"type": "string"},
                },
            },
        }
    },
}
