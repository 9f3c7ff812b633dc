"""A statistics range reads the months that hold data, and the days only of months it cuts."""

from __future__ import annotations

from kandoo.reporting.domain.statistics import collect, days_wanted, months_in

KNOWN = {"2026-01": 3, "2026-02": 5, "2026-03": 2, "2025-12": 0}


def test_a_range_reads_only_months_with_data_and_knows_which_it_holds_whole() -> None:
    plan = months_in("2026-01-15", "2026-03-31", KNOWN)
    assert plan.months == ["2026-01", "2026-02", "2026-03"]
    assert plan.whole == {"2026-02", "2026-03"}  # March ends on the 31st: whole


def test_a_century_costs_the_months_of_the_history_not_of_the_century() -> None:
    plan = months_in("2000-01-01", "2100-01-01", KNOWN)
    assert plan.months == ["2026-01", "2026-02", "2026-03"]
    assert plan.whole == set(plan.months)


def test_leap_february_is_whole_only_to_its_29th() -> None:
    known = {"2028-02": 1}
    assert months_in("2028-02-01", "2028-02-28", known).whole == set()
    assert months_in("2028-02-01", "2028-02-29", known).whole == {"2028-02"}


def test_cut_months_count_by_their_days_whole_ones_by_their_categories() -> None:
    january = {"c": {"road": {"submitted": 3}}}
    january_days = {"d": {"2026-01-10": {"submitted": 1}, "2026-01-20": {"submitted": 2}}}
    february = {"c": {"waste": {"submitted": 5}}}
    february_days = {"d": {"2026-02-03": {"submitted": 5}}}
    plan = months_in("2026-01-15", "2026-02-28", KNOWN)
    assert days_wanted(january_days, "2026-01-15", "2026-02-28") == ["2026-01-20"]
    day_docs = [{"c": {"road": {"submitted": 2}}}]  # the 20th
    months = {"2026-01": january, "2026-02": february}
    found = collect(
        months, [january_days, february_days], day_docs, plan, "2026-01-15", "2026-02-28"
    )
    assert found.by_key == {"road": [{"submitted": 2}], "waste": [{"submitted": 5}]}
    assert sorted(found.by_day) == ["2026-01-20", "2026-02-03"]
    # without the per-day counts (the public figures), the same totals
    alone = collect(months, [], day_docs, plan, "2026-01-15", "2026-02-28")
    assert alone.by_key == found.by_key
    assert alone.by_day == {}
