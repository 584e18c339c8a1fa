"""Print the numbers docs/teaching.md quotes for its three exercises.

The same runs as tests/test_lessons.py (20 seeds, each lever changed as the page changes
it, common random numbers), summarised as the lesson plan states them: means of the
paired differences with their 95 % intervals. Run after a recalibration, when the test
has passed, and copy the numbers into docs/teaching.md:

    PYTHONPATH=src:tests .venv/bin/python scripts/lesson_numbers.py
"""

from __future__ import annotations

import numpy as np

from test_lessons import diff, outcomes, paired


def show(label: str, d: tuple[float, float, float], of: float | None = None, digits: int = 0) -> None:
    mean, lo, hi = d
    tail = f" of {of:,.{digits}f}" if of is not None else ""
    print(f"  {label}: {mean:+,.{digits}f} [{lo:,.{digits}f}, {hi:,.{digits}f}]{tail}")


def mean(rows: list[dict], key: str) -> float:
    return float(np.mean([r[key] for r in rows]))


def main() -> None:
    base, off = outcomes(), outcomes(commissioners_on=False)
    x2, p0 = outcomes(leader_trips=2.0), outcomes(precision=0.0)
    signings = mean(base, "signings")
    print("Exercise 1 — commissioners off")
    show("signings", diff(off, base, "signings"), signings)
    quarters = list(base[0]["quarters"])
    for q in ("2022Q1", "2022Q2", "2022Q3", "2022Q4"):
        i = quarters.index(q)
        on = np.mean([r["landed_share"][i] for r in base]) * 100
        no = np.mean([r["landed_share"][i] for r in off]) * 100
        m_, lo, hi = (100 * v for v in diff(off, base, "landed_share", i))
        print(f"  landed share {q}: {m_:+.0f} points [{lo:.0f}, {hi:.0f}] ({on:.0f} → {no:.0f} %)")
    at = {q: quarters.index(q) for q in ("2022Q1", "2022Q2", "2022Q3", "2022Q4")}
    for early, late in (("2022Q1", "2022Q3"), ("2022Q2", "2022Q4"), ("2022Q3", "2022Q4")):
        e, la = at[early], at[late]
        more = paired(
            off,
            base,
            lambda o, b, e=e, la=la: (
                100
                * (
                    (o["landed_share"][la] - b["landed_share"][la])
                    - (o["landed_share"][e] - b["landed_share"][e])
                )
            ),
        )
        show(f"fall {late} − fall {early} (points)", more)
    for source in base[0]["by_source"]:
        show(
            f"signings from {source}",
            paired(off, base, lambda o, b, s=source: o["by_source"][s] - b["by_source"][s]),
            digits=1,
        )
    show("funds in place (亿)", diff(off, base, "funds_in_place_yi"), mean(base, "funds_in_place_yi"))
    print("Exercise 2 — leader trips ×2")
    print(f"  trips {mean(base, 'trips'):.0f} → {mean(x2, 'trips'):.0f}")
    show("signings", diff(x2, base, "signings"), signings)
    show("signing value (亿)", diff(x2, base, "signing_value_yi"), mean(base, "signing_value_yi"))
    per_trip = [np.mean([r["leader_signings"] / r["trips"] for r in arm]) for arm in (base, x2)]
    print(f"  leader-trip signings per trip: {per_trip[0]:.2f} → {per_trip[1]:.2f}")
    show("funds in place (亿)", diff(x2, base, "funds_in_place_yi"), mean(base, "funds_in_place_yi"))
    show(
        "Δ funds − ½ Δ value (亿)",
        paired(
            x2,
            base,
            lambda a, b: (
                (a["funds_in_place_yi"] - b["funds_in_place_yi"])
                - 0.5 * (a["signing_value_yi"] - b["signing_value_yi"])
            ),
        ),
    )
    print("Exercise 3 — missing links")
    sources = {k: np.mean([r["by_source"][k] for r in base]) for k in base[0]["by_source"]}
    print(
        "  signings by source: "
        + ", ".join(f"{k} {v:.0f}" for k, v in sources.items())
        + f" of {signings:.0f}"
    )
    print(
        f"  new producers in the two missing segments: {mean(base, 'new_producers_missing_links'):.1f} "
        f"(precision as the scenario) vs {mean(p0, 'new_producers_missing_links'):.1f} (precision 0)"
    )
    show("difference", diff(base, p0, "new_producers_missing_links"), digits=1)
    show(
        "with − 1.5 × without",
        paired(
            base, p0, lambda a, b: a["new_producers_missing_links"] - 1.5 * b["new_producers_missing_links"]
        ),
        digits=1,
    )
    order = ("chain_group", "organic", "leader_trip", "event", "anchor_referral")
    for first, second in zip(order, order[1:]):
        show(
            f"{first} − {second} (same run)",
            paired(base, base, lambda a, _, f=first, s=second: a["by_source"][f] - a["by_source"][s]),
            digits=1,
        )
    closed = [int(sum(r["missing_links_closed"] for r in arm)) for arm in (base, p0)]
    print(
        f"  seeds where both stopped being missing links: {closed[0]} of 20 (precision 0: {closed[1]} of 20)"
    )


if __name__ == "__main__":
    main()
