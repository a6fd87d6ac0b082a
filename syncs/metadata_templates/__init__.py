"""Metadata templates: a title, description or tag list rendered from a video's own fields.

Named `metadata_templates`, not `templates`: `syncs/templates/` is Django's directory of HTML
templates for syncs' pages, and a Python package beside it with the same word would be read as
one of them. Templates live in syncs because applying one records a change set (issue #19).
"""
