"""Benchmark-suite setup: register the project's own example task next to the built-in ones.

A task of yours is a module like `example_task.py`; importing it here registers it
before the grid is built, so `pytest benchmarks -k weather_feel` finds its cells.
"""
import example_task  # noqa: F401 - registers the `weather_feel` task
