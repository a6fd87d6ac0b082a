"""The admin index's dashboard: scoped, cached aggregates (selectors.py) and their JSON (views.py)."""
