"""The outcome of a check suite: one `CheckResult` per check, gathered in a `CheckReport`."""

from __future__ import annotations

from dataclasses import dataclass, field


class SkipCheck(Exception):
    """Raised by a check that does not apply to the object; the message says why."""


@dataclass
class CheckResult:
    """One check: `passed` is True, False, or None when the check did not apply (`message` says why)."""

    name: str
    passed: bool | None
    message: str = ""

    def __str__(self) -> str:
        verdict = {True: "passed", False: "FAILED", None: "skipped"}[self.passed]
        return f"{verdict} {self.name}" + (f": {self.message}" if self.message else "")


@dataclass
class CheckReport:
    """Every check run on one object. `passed` is True when none failed (skipped ones do not fail)."""

    subject: str
    results: list[CheckResult] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return not self.failures

    @property
    def failures(self) -> list[CheckResult]:
        return [r for r in self.results if r.passed is False]

    def __bool__(self) -> bool:
        return self.passed

    def __getitem__(self, name: str) -> CheckResult:
        for result in self.results:
            if result.name == name:
                return result
        raise KeyError(f"no check named {name!r}; checks run: {[r.name for r in self.results]}")

    def __str__(self) -> str:
        ran = [r for r in self.results if r.passed is not None]
        head = (
            f"{self.subject}: {len(self.failures)} of {len(ran)} checks failed" if self.failures
            else f"{self.subject}: all {len(ran)} checks passed"
        )
        lines = [head] + [f"  {r}" for r in self.results if r.passed is not True]
        return "\n".join(lines)
