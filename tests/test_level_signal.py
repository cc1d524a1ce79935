"""The watch on threads across fewer than three levels, as a pure rule over in-memory rows."""

from __future__ import annotations

from store.enums import OrgLevel, Role, Sentiment
from store.signals import Severity, SignalKind, assess
from tests.test_signals import DEFAULTS, TODAY, healthy_people, person, snapshot

E, D, M, IC = OrgLevel.EXECUTIVE, OrgLevel.DIRECTOR, OrgLevel.MANAGER, OrgLevel.INDIVIDUAL


def _levelled(*levels: OrgLevel | None):  # type: ignore[no-untyped-def]
    people = healthy_people()
    for who, level in zip(people, levels, strict=False):
        who.level = level
    return people


def _narrow(people):  # type: ignore[no-untyped-def]
    found = assess(snapshot(people), today=TODAY, thresholds=DEFAULTS)
    return [s for s in found.signals if s.kind is SignalKind.NARROW_LEVELS], found


def test_threads_at_two_levels_are_watched_with_the_levels_in_words() -> None:
    [signal], found = _narrow(_levelled(D, M, M, None))
    assert signal.severity is Severity.WATCH
    assert signal.evidence == ("threads reach 2 levels (director, manager); the method wants three")
    assert found.band.value == "green"  # a watch never moves the band


def test_three_levels_reached_is_no_signal() -> None:
    assert _narrow(_levelled(E, D, IC, None))[0] == []


def test_fewer_than_two_people_with_a_level_is_levels_unknown_not_a_signal() -> None:
    assert _narrow(_levelled(D, None, None, None))[0] == []
    assert _narrow(_levelled(None, None, None, None))[0] == []


def test_only_live_threads_count_toward_levels() -> None:
    """An executive not contacted for months, or negative, is no thread at their level."""
    people = [
        person("Cara", Role.CHAMPION),
        person("Eve", Role.ECONOMIC_BUYER, days_ago=200),
        person("Sam", Role.EXECUTIVE_SPONSOR, sentiment=Sentiment.NEGATIVE),
        person("Uma", Role.END_USER),
    ]
    for who, level in zip(people, (M, E, E, IC), strict=True):
        who.level = level
    [signal], _ = _narrow(people)
    assert signal.evidence.startswith("threads reach 2 levels (manager, individual contributor)")
