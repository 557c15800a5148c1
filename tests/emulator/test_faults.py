"""Checks for the fault proxy's decisions (tests/faults/proxy.py): independent faults never
strike one operation more than --max-in-a-row times in a row, and bursts strike exactly
--burst times in a row, the same way, before a request goes through.

Run: .venv/bin/python -m unittest discover -s tests/emulator   (scripts/test does)
"""

import json
import os
import sys
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "faults"))

from proxy import Faults  # noqa: E402 - the proxy lives beside, not in a package


def runs(decisions: list) -> list:
    """The lengths of the runs of faults a request got through after, in a sequence of
    decisions (None: forwarded)."""
    out, n = [], 0
    for d in decisions:
        if d is None:
            if n:
                out.append(n)
            n = 0
        else:
            n += 1
    return out


class FaultsTest(unittest.TestCase):
    def test_independent_faults_stay_under_the_limit_in_a_row(self) -> None:
        faults = Faults(0.9, ["throttle", "5xx"], set(), 3, {}, seed=7)
        decisions = [faults.decide("DescribeServices") for _ in range(500)]
        self.assertTrue(runs(decisions), "faults were injected")
        self.assertLessEqual(max(runs(decisions)), 3)

    def test_bursts_strike_an_operation_n_times_in_a_row_the_same_way(self) -> None:
        faults = Faults(0.3, ["throttle", "5xx"], {"UpdateService"}, 3, {}, seed=3, burst=5)
        decisions = [faults.decide("UpdateService") for _ in range(400)]
        self.assertTrue(runs(decisions), "bursts were injected")
        self.assertEqual(set(runs(decisions)), {5}, "every burst is five in a row, then one goes through")
        i = decisions.index(next(d for d in decisions if d))
        self.assertEqual(len(set(decisions[i : i + 5])), 1, "a burst fails one way")
        other = [faults.decide("DescribeServices") for _ in range(50)]
        self.assertEqual(other, [None] * 50, "operations not chosen are never struck")
        report = json.loads(faults.report())
        self.assertEqual(report["longest_burst"], 5)
        self.assertEqual(report["forwarded_by_operation"]["DescribeServices"], 50)
        self.assertEqual(report["by_operation"]["UpdateService"], sum(1 for d in decisions if d))

    def test_bursts_of_one_operation_leave_the_others_alone(self) -> None:
        faults = Faults(1.0, ["throttle"], set(), 3, {}, seed=1, burst=4)
        self.assertEqual([faults.decide("A") for _ in range(5)], ["throttle"] * 4 + [None])
        self.assertEqual(faults.decide("B"), "throttle", "B's burst is its own")
        self.assertEqual([faults.decide("A") for _ in range(5)], ["throttle"] * 4 + [None])


if __name__ == "__main__":
    unittest.main()
