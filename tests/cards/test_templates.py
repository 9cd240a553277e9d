"""The card template binder: paths, repetition, conditions and the safety of inserted text.

Each test writes its own small template into a temporary folder and renders
it through `render`, the same way the builders render cards/*.json.
"""

import copy
import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cards import templates
from cards.templates import TemplateError, render, template_names


@pytest.fixture
def template_dir(tmp_path, monkeypatch):
    """Point the binder at an empty template folder for the test, with a fresh file cache."""
    monkeypatch.setattr(templates, "TEMPLATE_DIR", tmp_path)
    templates._load.cache_clear()
    yield tmp_path
    templates._load.cache_clear()


def write_template(folder, name: str, template) -> str:
    (folder / f"{name}.json").write_text(json.dumps(template), encoding="utf-8")
    return name


# Whole-string and inline paths


@pytest.mark.parametrize(
    "value",
    [42, 3.5, True, False, None, ["kb-forms-quiz", "kb-teams-assignments"], {"key": "tst-remote", "name": "TST remote help"}, "Forms"],
    ids=["int", "float", "true", "false", "none", "list", "dict", "str"],
)
def test_whole_string_keeps_value_type(template_dir, value):
    name = write_template(template_dir, "whole", {"value": "${value}"})

    assert render(name, {"value": value}) == {"value": value}


def test_inline_path_inserts_text(template_dir):
    name = write_template(template_dir, "inline", {"text": "Request ${reference} · ${status} at level ${level}"})

    card = render(name, {"reference": "#42", "status": "Claimed", "level": 2})

    assert card == {"text": "Request #42 · Claimed at level 2"}


def test_inline_none_becomes_empty_text(template_dir):
    name = write_template(template_dir, "inline-none", {"text": "Owner: ${owner}."})

    assert render(name, {"owner": None}) == {"text": "Owner: ."}


def test_dotted_path_reads_nested_value(template_dir):
    name = write_template(template_dir, "dotted", {"title": "${article.title}", "line": "See ${article.source.name}"})

    card = render(name, {"article": {"title": "Forms quizzes", "source": {"name": "Microsoft Support"}}})

    assert card == {"title": "Forms quizzes", "line": "See Microsoft Support"}


def test_text_without_paths_is_unchanged(template_dir):
    template = {"type": "TextBlock", "text": "Type **new request** to start; costs $5 or {braces}.", "wrap": True, "maxLines": 3}
    name = write_template(template_dir, "static", template)

    assert render(name, {}) == template


@pytest.mark.parametrize(
    "template",
    [{"text": "${missing}"}, {"text": "Hello ${missing}"}, {"text": "${request.missing}"}, {"text": "${request.number.digits}"}],
    ids=["whole", "inline", "nested", "through-a-number"],
)
def test_missing_path_raises_template_error(template_dir, template):
    name = write_template(template_dir, "missing", template)

    with pytest.raises(TemplateError, match="missing|digits"):
        render(name, {"request": {"number": 42}})


def test_template_error_names_path(template_dir):
    name = write_template(template_dir, "names-path", {"text": "${request.owner}"})

    with pytest.raises(TemplateError) as caught:
        render(name, {"request": {}})

    assert "request.owner" in str(caught.value)


# Repetition with $data


def test_data_repeats_element_per_item(template_dir):
    name = write_template(
        template_dir,
        "repeat",
        {"choices": [{"title": "Pick one", "value": ""}, {"$data": "${schools}", "title": "${name}", "value": "${name}"}]},
    )

    card = render(name, {"schools": [{"name": "Moody Elementary"}, {"name": "Centennial Secondary"}, {"name": "Pinetree Secondary"}]})

    assert card["choices"] == [
        {"title": "Pick one", "value": ""},
        {"title": "Moody Elementary", "value": "Moody Elementary"},
        {"title": "Centennial Secondary", "value": "Centennial Secondary"},
        {"title": "Pinetree Secondary", "value": "Pinetree Secondary"},
    ]


def test_data_with_empty_list_adds_nothing(template_dir):
    name = write_template(template_dir, "repeat-empty", {"items": [{"type": "TextBlock", "text": "Header"}, {"$data": "${requests}", "text": "${reference}"}]})

    assert render(name, {"requests": []}) == {"items": [{"type": "TextBlock", "text": "Header"}]}


def test_data_repeats_nested_containers(template_dir):
    name = write_template(
        template_dir,
        "nested-repeat",
        {"body": [{"$data": "${groups}", "title": "${title}", "items": [{"$data": "${items}", "text": "${reference}"}]}]},
    )

    card = render(name, {"groups": [{"title": "Level 1", "items": [{"reference": "#1"}, {"reference": "#2"}]}, {"title": "Level 2", "items": []}]})

    assert card == {"body": [{"title": "Level 1", "items": [{"text": "#1"}, {"text": "#2"}]}, {"title": "Level 2", "items": []}]}


def test_root_reaches_top_data_inside_repetition(template_dir):
    name = write_template(
        template_dir,
        "root",
        {"actions": [{"$data": "${articles}", "data": {"article": "${id}", "request": "${$root.number}"}, "title": "Open ${title} for ${$root.reference}"}]},
    )

    card = render(name, {"number": 42, "reference": "#42", "articles": [{"id": "kb-a", "title": "A"}, {"id": "kb-b", "title": "B"}]})

    assert card["actions"] == [
        {"data": {"article": "kb-a", "request": 42}, "title": "Open A for #42"},
        {"data": {"article": "kb-b", "request": 42}, "title": "Open B for #42"},
    ]


def test_item_fields_hide_top_data_without_root(template_dir):
    name = write_template(template_dir, "scope", {"rows": [{"$data": "${rows}", "text": "${title}"}]})

    card = render(name, {"title": "Top title", "rows": [{"title": "Row title"}]})

    assert card == {"rows": [{"text": "Row title"}]}


def test_missing_path_inside_item_raises(template_dir):
    name = write_template(template_dir, "item-missing", {"rows": [{"$data": "${rows}", "text": "${title}"}]})

    with pytest.raises(TemplateError, match="title"):
        render(name, {"title": "only at the top", "rows": [{"name": "no title here"}]})


# Conditions with $when


def test_when_keeps_or_drops_element(template_dir):
    name = write_template(
        template_dir,
        "when",
        {"body": [{"$when": "${notice}", "type": "TextBlock", "text": "${notice}"}, {"type": "TextBlock", "text": "Always"}]},
    )

    with_notice = render(name, {"notice": "Isaiah claimed it first."})
    without_notice = render(name, {"notice": ""})

    assert with_notice["body"] == [{"type": "TextBlock", "text": "Isaiah claimed it first."}, {"type": "TextBlock", "text": "Always"}]
    assert without_notice["body"] == [{"type": "TextBlock", "text": "Always"}]


@pytest.mark.parametrize("value", [False, 0, "", None, [], {}], ids=["false", "zero", "empty-str", "none", "empty-list", "empty-dict"])
def test_when_treats_empty_values_as_false(template_dir, value):
    name = write_template(template_dir, "falsy", {"body": [{"$when": "${flag}", "text": "shown"}, {"$when": "${!flag}", "text": "negated"}]})

    assert render(name, {"flag": value})["body"] == [{"text": "negated"}]


def test_negated_when_drops_element_for_true(template_dir):
    name = write_template(template_dir, "negated", {"body": [{"$when": "${!requests}", "text": "You have no requests yet."}]})

    assert render(name, {"requests": [{"reference": "#1"}]})["body"] == []
    assert render(name, {"requests": []})["body"] == [{"text": "You have no requests yet."}]


def test_negation_as_whole_value_gives_boolean(template_dir):
    name = write_template(template_dir, "negated-value", {"isEnabled": "${!locked}"})

    assert render(name, {"locked": True}) == {"isEnabled": False}
    assert render(name, {"locked": ""}) == {"isEnabled": True}


def test_when_drops_property_value(template_dir):
    name = write_template(
        template_dir, "when-property", {"type": "Container", "selectAction": {"$when": "${url}", "type": "Action.OpenUrl", "url": "${url}"}}
    )

    assert render(name, {"url": ""}) == {"type": "Container"}
    assert render(name, {"url": "https://forms.office.com"})["selectAction"] == {"type": "Action.OpenUrl", "url": "https://forms.office.com"}


def test_when_filters_each_repeated_item(template_dir):
    name = write_template(template_dir, "when-repeat", {"rows": [{"$data": "${articles}", "$when": "${canVote}", "text": "${id}"}]})

    card = render(name, {"articles": [{"id": "kb-a", "canVote": True}, {"id": "kb-b", "canVote": False}, {"id": "kb-c", "canVote": True}]})

    assert card == {"rows": [{"text": "kb-a"}, {"text": "kb-c"}]}


def test_when_reads_root_inside_repetition(template_dir):
    name = write_template(template_dir, "when-root", {"rows": [{"$data": "${rows}", "$when": "${$root.showAll}", "text": "${text}"}]})

    assert render(name, {"showAll": False, "rows": [{"text": "a"}]}) == {"rows": []}
    assert render(name, {"showAll": True, "rows": [{"text": "a"}]}) == {"rows": [{"text": "a"}]}


@pytest.mark.parametrize("expression", ["shown", "${a} and ${b}", "Show ${a}"], ids=["no-path", "two-paths", "text-around"])
def test_when_needs_one_whole_path(template_dir, expression):
    name = write_template(template_dir, "bad-when", {"body": [{"$when": expression, "text": "x"}]})

    with pytest.raises(TemplateError, match=r"\$when"):
        render(name, {"a": True, "b": True})


def test_when_on_missing_path_raises(template_dir):
    name = write_template(template_dir, "when-missing", {"body": [{"$when": "${notice}", "text": "x"}]})

    with pytest.raises(TemplateError, match="notice"):
        render(name, {})


def test_binder_keywords_do_not_reach_card(template_dir):
    name = write_template(
        template_dir,
        "keywords",
        {"body": [{"$data": "${rows}", "$when": "${show}", "text": "${text}"}, {"$when": "${show}", "text": "single"}]},
    )

    text = json.dumps(render(name, {"show": True, "rows": [{"show": True, "text": "row"}]}))

    assert "$data" not in text
    assert "$when" not in text


# Text from people is inserted, never expanded


def test_user_text_with_path_syntax_is_not_expanded(template_dir):
    name = write_template(
        template_dir, "no-reexpand", {"whole": "${description}", "inline": "Note: ${description}", "rows": [{"$data": "${notes}", "text": "${text}"}]}
    )
    secret = "${$root.secret} ${secret} ${!secret}"

    card = render(name, {"description": secret, "notes": [{"text": secret}], "secret": "expanded"})

    assert card["whole"] == secret
    assert card["inline"] == f"Note: {secret}"
    assert card["rows"] == [{"text": secret}]
    assert "expanded" not in json.dumps(card)


def test_user_text_cannot_add_card_structure(template_dir):
    name = write_template(template_dir, "structure", {"type": "TextBlock", "text": "From ${name}"})
    hostile = '", "type": "Action.OpenUrl", "url": "http://evil.example'

    card = render(name, {"name": hostile})

    assert card == {"type": "TextBlock", "text": f"From {hostile}"}


@given(text=st.text(max_size=200))
def test_any_text_is_inserted_verbatim(text):
    """Any string, binder syntax included, comes out of the real templates exactly as it went in."""
    greeting = json.loads((templates.TEMPLATE_DIR / "welcome.json").read_text(encoding="utf-8"))["body"][0]["inlines"][0]["text"]

    notice = render("notice", {"title": text, "message": "Body", "facts": [{"title": "School", "value": text}]})
    welcome = render("welcome", {"firstName": text, "district": "School District 43"})

    assert notice["body"][0]["inlines"][0]["text"] == text
    assert notice["body"][2]["facts"] == [{"title": "School", "value": text}]
    assert welcome["body"][0]["inlines"][0]["text"] == greeting.replace("${firstName}", text)


# Rendering leaves its inputs alone


def test_render_does_not_change_template_or_data(template_dir):
    name = write_template(template_dir, "pure", {"rows": [{"$data": "${rows}", "text": "${text}"}], "title": "${title}"})
    data = {"title": "First", "rows": [{"text": "a"}, {"text": "b"}]}
    data_before = copy.deepcopy(data)

    first = render(name, data)
    first["rows"].append({"text": "changed by a caller"})
    first["title"] = "changed"
    second = render(name, {"title": "Second", "rows": [{"text": "c"}]})

    assert data == data_before
    assert second == {"rows": [{"text": "c"}], "title": "Second"}


def test_template_names_lists_json_files(template_dir):
    write_template(template_dir, "welcome", {})
    write_template(template_dir, "notice", {})
    (template_dir / "README.txt").write_text("not a template", encoding="utf-8")

    assert template_names() == ["notice", "welcome"]


def test_unknown_template_raises(template_dir):
    with pytest.raises(FileNotFoundError):
        render("no-such-card", {})


# The real templates


def test_real_templates_are_version_1_5_cards():
    names = template_names()

    assert "request_card" in names
    for name in names:
        template = templates._load(name)
        assert template["type"] == "AdaptiveCard", name
        assert template["version"] == "1.5", name
