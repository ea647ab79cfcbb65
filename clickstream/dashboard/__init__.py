"""Shiny for Python dashboards on port 3838, read from the warehouse."""
