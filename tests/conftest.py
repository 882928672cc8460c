"""Shared test set-up. Each area keeps its fixtures in its own module under tests/fixtures/."""

pytest_plugins = [
    "tests.fixtures.store",
    "tests.fixtures.services",
    "tests.fixtures.rasa",
    "tests.fixtures.service",
    "tests.fixtures.viber",
    "tests.fixtures.dashboard",
    "tests.fixtures.open311",
]
