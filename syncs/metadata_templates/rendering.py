"""Rendering a metadata template with Django's template engine in a sandbox.

People write the issue's syntax, `{title}` and `{block:footer}`, not Django's `{{ title }}`: the
rights managers who write templates know it from YouTube tools and spreadsheets, and Django's own
syntax would open its whole language (tags, filters, attribute lookups). The text is translated to
Django's syntax (`{title}` -> `{{ title }}`, `{block:footer}` -> `{{ blocks.footer }}`) and compiled
by an engine with no builtins at all (no tags, no filters: `{% load %}`, `{% include %}` do not
exist in it), no loaders (no file can be reached) and autoescape off (the result is plain text for
YouTube, not HTML). The context holds only strings, so nothing of a video object is reachable.
Django's own syntax typed into a template (`{{`, `{%`, `{#`) is refused when it is saved.
"""

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from django.template import Context, Engine, TemplateSyntaxError
from django.template.base import TextNode, VariableNode

# The placeholders a template may use, with what each holds (shown in the admin's help text).
FIELDS = {
    "title": "the video's title (what we want it to be now)",
    "artist": "the video's artists, comma-separated",
    "album": "the album of the sound recording the video is claimed with (its asset's metadata)",
    "isrc": "the video's ISRC",
    "custom_id": "the video's custom id",
    "channel": "the channel's title",
    "release_date": "the video's publication date on YouTube (YYYY-MM-DD, UTC)",
}
BLOCK_PREFIX = "block:"
# Anything in braces with no space or brace inside is a placeholder, so that `{titel}` or
# `{video.__class__}` is refused by name rather than kept as text. "{ a: 1 }" stays text.
PLACEHOLDER = re.compile(r"\{([^{}\s]+)\}")
BLOCK_NAME = re.compile(r"[a-z][a-z0-9_]*")  # a Django variable name: no "-", no leading digit
DJANGO_SYNTAX = ("{{", "{%", "{#")


class SandboxEngine(Engine):
    """Django's engine without its default builtins: Engine adds defaulttags, defaultfilters and
    loader_tags to any `builtins` passed, so they are removed here."""

    default_builtins = []


ENGINE = SandboxEngine(builtins=[], loaders=[], autoescape=False, debug=False, libraries={})


@dataclass(frozen=True)
class TemplateProblem:
    code: str
    message: str

    def __str__(self):
        return self.message


def template_placeholders(body: str) -> tuple[set[str], set[str], set[str]]:
    """(fields, blocks, unknown names) a template's body refers to."""
    fields, blocks, unknown = set(), set(), set()
    for name in PLACEHOLDER.findall(body):
        if name in FIELDS:
            fields.add(name)
        elif name.startswith(BLOCK_PREFIX) and BLOCK_NAME.fullmatch(name[len(BLOCK_PREFIX) :]):
            blocks.add(name[len(BLOCK_PREFIX) :])
        else:
            unknown.add(name)
    return fields, blocks, unknown


def _translate(body: str) -> str:
    def placeholder(match):
        name = match.group(1)
        if name.startswith(BLOCK_PREFIX):
            return "{{ blocks." + name[len(BLOCK_PREFIX) :] + " }}"
        return "{{ " + name + " }}"

    return PLACEHOLDER.sub(placeholder, body)


def template_check(
    body: str, *, block_names: Iterable[str] = (), allow_blocks: bool = True
) -> list[TemplateProblem]:
    """What is wrong with a template's body; empty when it compiles and names only known things."""
    problems = []
    found = sorted(syntax for syntax in DJANGO_SYNTAX if syntax in body)
    if found:
        problems.append(
            TemplateProblem(
                "template_syntax",
                f"{' and '.join(found)} is template-engine syntax, not allowed here; "
                "write placeholders as {title}, {artist} or {block:footer}.",
            )
        )
        return problems
    _, blocks, unknown = template_placeholders(body)
    for name in sorted(unknown):
        problems.append(
            TemplateProblem(
                "unknown_field",
                f"{{{name}}} is not a field a template can use; use one of "
                f"{', '.join('{' + field + '}' for field in FIELDS)} or {{block:name}}.",
            )
        )
    if blocks and not allow_blocks:
        problems.append(
            TemplateProblem("block_in_block", "a block cannot use another block; write its text in it.")
        )
    elif blocks:
        missing = blocks - set(block_names)
        for name in sorted(missing):
            problems.append(
                TemplateProblem("unknown_block", f"{{block:{name}}}: there is no block named {name!r}.")
            )
    if problems:
        return problems
    try:
        compiled = ENGINE.from_string(_translate(body))
    except TemplateSyntaxError as error:
        return [TemplateProblem("template_syntax", f"the template does not compile: {error}")]
    # Defence in depth: only text and plain variables of the known names, whatever the lexer saw.
    for node in compiled.nodelist:
        if isinstance(node, TextNode):
            continue
        if isinstance(node, VariableNode) and not node.filter_expression.filters:
            lookups = node.filter_expression.var.lookups or ()
            if (len(lookups) == 1 and lookups[0] in FIELDS) or (len(lookups) == 2 and lookups[0] == "blocks"):
                continue
        problems.append(TemplateProblem("template_syntax", f"{node!r} is not allowed in a template."))
    return problems


def template_render(body: str, *, values: Mapping[str, str], blocks: Mapping[str, str] | None = None) -> str:
    """Render a checked body: `values` maps each field to its text, `blocks` each block name to its
    (already rendered) text. Unknown names render as nothing; template_check refuses them first."""
    compiled = ENGINE.from_string(_translate(body))
    context = {name: str(values.get(name, "")) for name in FIELDS}
    context["blocks"] = dict(blocks or {})
    return compiled.render(Context(context, autoescape=False))
