"""Reporting: a comparison row, the Markdown table, the machine, BENCHMARKS.md."""

from __future__ import annotations

import os
import platform
import time
from dataclasses import dataclass

from benchmarks.measure import ROOT


@dataclass
class Row:
    what: str
    ours: str
    ours_value: float
    peer: str
    peer_value: float
    unit: str
    target: float | None = None  # ours/peer must be <= target (or >= for "higher" rows)
    higher_is_better: bool = False

    @property
    def ratio(self) -> float:
        return self.ours_value / self.peer_value if self.peer_value else float("nan")

    @property
    def holds(self) -> str:
        if self.target is None:
            return ""
        ok = self.ratio >= self.target if self.higher_is_better else self.ratio <= self.target
        return "yes" if ok else "NO"

    def cells(self) -> list[str]:
        sign = ">=" if self.higher_is_better else "<="
        return [
            self.what,
            f"{self.ours} {fmt(self.ours_value, self.unit)}",
            f"{self.peer} {fmt(self.peer_value, self.unit)}",
            f"{self.ratio:.2f}x",
            f"{sign} {self.target}x" if self.target is not None else "",
            self.holds,
        ]


def fmt(value: float, unit: str) -> str:
    if unit == "s":
        return f"{value * 1e6:,.0f} us" if value < 0.01 else f"{value * 1e3:,.1f} ms"
    if unit == "/s":
        return f"{value:,.0f}/s"
    return f"{value:,.1f} {unit}"


def table(rows: list[Row]) -> str:
    head = ["measure", "ours", "peer", "ratio", "target", "holds"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    lines += ["| " + " | ".join(r.cells()) + " |" for r in rows]
    return "\n".join(lines)


def machine() -> str:
    return (
        f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
        f"{platform.system()} {platform.release()}"
    )


def write_benchmarks_md(out: str, notes: list[str], quick: bool) -> None:
    """Replace the table between the markers in BENCHMARKS.md."""
    path = ROOT / "BENCHMARKS.md"
    text = path.read_text()
    start, end = "<!-- table:start -->", "<!-- table:end -->"
    block = (
        f"{start}\nMeasured {time.strftime('%Y-%m-%d')} on {machine()} "
        f"({'--quick' if quick else 'full run'}).\n\n{out}\n\n"
        + "\n".join(f"- {n}" for n in notes)
        + f"\n{end}"
    )
    path.write_text(text[: text.index(start)] + block + text[text.index(end) + len(end) :])
