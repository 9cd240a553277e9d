"""JSON Schemas for the config files, so a bad setting is reported by its path."""

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
            },
        },
        "data_dir": {"type": "string", "minLength": 1},
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
