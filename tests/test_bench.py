"""The benchmark runs and writes its table: shape and gradient agreement, never speed."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tools"))
import bench_table  # noqa: E402

BENCH = Path(__file__).resolve().parents[1] / "bench" / "bench.py"
WORKLOADS = ["A f64", "A f32", "B", "B scalars", "C", "D", "S"]
OURS = ["autodiff", "autodiff x@W+b", "autodiff.compile", "autodiff.compile x@W+b"]


@pytest.fixture(scope="module")
def quick_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict, str, str]:
    out = tmp_path_factory.mktemp("bench")
    done = subprocess.run(
        [sys.executable, str(BENCH), "--quick", "--libs", ",".join(["numpy", *OURS, "floor"]), "--out", str(out)],
        capture_output=True, text=True, timeout=300,
    )
    assert done.returncode == 0, done.stderr
    return json.loads((out / "results.json").read_text()), (out / "results.md").read_text(), done.stdout


def test_every_workload_has_a_row_per_library(quick_run: tuple[dict, str, str]) -> None:
    result, _, _ = quick_run
    cells = {(r["workload"], r["lib"]): r for r in result["rows"]}
    expected = [(w, lib) for w in WORKLOADS for lib in ("numpy", "autodiff")] + [("B", "floor"), ("C", "floor")]
    expected += [(w, lib) for w in ("A f64", "A f32", "D") for lib in OURS[1:]]
    expected += [(w, "autodiff.compile") for w in ("B", "B scalars", "S")]
    assert sorted(cells) == sorted(expected)  # the floor is a yardstick for the chain only
    for (workload, lib), row in cells.items():
        assert row["seconds"] > 0 and row["us_per_op"] > 0, row
        if workload == "C":  # one time per library: the ratio of the medians of its runs
            assert row["ratio"] == pytest.approx(row["seconds"] / cells[workload, "numpy"]["seconds"], rel=1e-9)
        else:  # the median of per-round ratios, inside their quartiles
            q1, q3 = row["ratio_iqr"]
            assert 0 < q1 <= row["ratio"] <= q3, row
            if lib == "numpy":
                assert row["ratio"] == q1 == q3 == 1.0
        assert "note" not in row, row
    for (workload, lib), row in cells.items():  # gradients of a second call: a compiled one replays
        if lib != "numpy" and workload != "C":
            assert row["max_abs_grad_diff"] < (1e-4 if workload == "A f32" else 1e-10), row
    for workload in ("A f64", "A f32", "D"):  # compiled is eager, bit for bit
        assert cells[workload, "autodiff.compile"]["max_abs_grad_diff"] == cells[workload, "autodiff"]["max_abs_grad_diff"]
    assert cells["C", "autodiff"]["kb_per_op"] > 0
    for dtype in ("A f64", "A f32"):  # measured in fresh processes, as a user's script runs: faults beside time
        assert cells[dtype, "autodiff"]["faults_per_step"] >= 0 and cells[dtype, "numpy"]["faults_per_step"] >= 0


def test_goals_and_environment_are_recorded(quick_run: tuple[dict, str, str]) -> None:
    result, markdown, stdout = quick_run
    goals = result["goals"]
    assert {(g["issue"], g["lib"], g["workload"]) for g in goals} == {
        *((14, lib, w) for lib in OURS for w in ("A f64", "A f32")),  # page faults, however autodiff runs
        (18, "autodiff", "B"), (18, "autodiff", "B scalars"), (18, "autodiff", "S"),
        (19, "autodiff.compile", "B"), (19, "autodiff.compile", "B scalars"),
        *((19, lib, w) for lib in OURS[2:] for w in ("A f64", "A f32", "D"))}
    for g in goals:  # every goal has its value, but the one measured against PyTorch, not in this run
        against_torch = g["measure"] == "per_torch"
        assert (g["value"] is None) == against_torch and isinstance(g["met"], bool), g
        line = f"- issue {g['issue']}, {g['lib']}, {g['workload']}: " + ("not measured" if against_torch else "")
        assert line in stdout, line
    floor_b = next(r for r in result["rows"] if r["workload"] == "B" and r["lib"] == "floor")
    for goal in (g for g in goals if g["measure"] == "per_floor"):  # against what the Function interface costs
        row = next(r for r in result["rows"] if (r["workload"], r["lib"]) == (goal["workload"], goal["lib"]))
        assert goal["value"] == row["us_per_op"] / floor_b["us_per_op"]
        assert f"against the floor's (bench/floor.py, B) {floor_b['us_per_op']:.2f}" in stdout
    env = result["environment"]
    assert env["threads"] == 1 and env["blas"] and env["numpy"]
    assert set(env["openblas_vars_unset"]) == {"OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE"}
    assert "OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE unset for this run" in stdout
    header = re.compile(r"\| workload +\| library")
    assert header.search(stdout) and header.search(markdown)
    assert markdown.count("\n| ") == len(result["rows"]) + 1  # header + one line per row


def test_an_unknown_library_is_refused_by_name() -> None:
    done = subprocess.run([sys.executable, str(BENCH), "--quick", "--libs", "nosuchlib"], capture_output=True, text=True)
    assert done.returncode != 0 and "unknown library 'nosuchlib'" in done.stderr


def test_the_readme_shows_the_committed_results() -> None:
    assert bench_table.problems() == []


def test_a_stale_or_broken_readme_block_is_named(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    readme = tmp_path / "README.md"
    text = bench_table.README.read_text(encoding="utf-8")
    readme.write_text(text.replace("| autodiff | ", "| autodiff | 0.50 | ", 1), encoding="utf-8")
    monkeypatch.setattr(bench_table, "README", readme)
    (found,) = bench_table.problems()
    assert "the benchmark block differs from bench/results.json" in found and "+| autodiff |" in found
    assert bench_table.rewrite() and bench_table.problems() == []
    readme.write_text(text.replace(bench_table.END, ""), encoding="utf-8")
    with pytest.raises(ValueError, match="README.md must hold one"):
        bench_table.problems()
