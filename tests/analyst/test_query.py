"""`just query` on a small warehouse: tables, limits, exports, and the one-line failures."""

from __future__ import annotations

import csv
import json

import duckdb
import pytest

from analyst import query
from analyst.warehouse import ELT_RUNNING
from tests.analyst.conftest import mark_elt_running


def run(capsys: pytest.CaptureFixture[str], path: str, *argv: str) -> tuple[int, str, str]:
    code = query.run(list(argv), path)
    out, err = capsys.readouterr()
    return code, out, err


def test_prints_a_table_capped_at_the_limit(capsys, tiny_warehouse) -> None:
    code, out, err = run(capsys, tiny_warehouse, "select n, label from marts.numbers order by n")
    lines = out.splitlines()
    assert code == 0 and err == ""
    assert lines[0].split() == ["n", "label"]
    assert len(lines) == 2 + query.DEFAULT_LIMIT + 2
    assert "… 10 more rows" in out and "(60 rows," in lines[-1]


def test_limit_flag_and_zero_for_all(capsys, tiny_warehouse) -> None:
    _, out, _ = run(capsys, tiny_warehouse, "select n from marts.numbers", "--limit", "5")
    assert len(out.splitlines()) == 2 + 5 + 2
    _, out, _ = run(capsys, tiny_warehouse, "select n from marts.numbers", "--limit", "0")
    assert "more rows" not in out and len(out.splitlines()) == 2 + 60 + 1


@pytest.mark.parametrize("fmt", ["csv", "json", "parquet"])
def test_exports_every_row_with_duckdb_copy(capsys, tiny_warehouse, tmp_path, fmt) -> None:
    target = tmp_path / f"numbers.{fmt}"
    code, out, _ = run(
        capsys, tiny_warehouse, "select * from marts.numbers order by n;", "--output", str(target)
    )
    assert code == 0 and f"wrote 60 rows to {target} ({fmt}," in out
    with duckdb.connect() as con:
        reader = {"csv": "read_csv", "json": "read_json", "parquet": "read_parquet"}[fmt]
        got = con.execute(f"select count(*), sum(n), count(maybe) from {reader}('{target}')")
        assert got.fetchone() == (60, 1830, 52)


def test_csv_and_json_to_stdout_stay_clean_for_pipes(capsys, tiny_warehouse) -> None:
    code, out, err = run(
        capsys, tiny_warehouse, "select n, label from marts.numbers where n < 3", "--format", "csv"
    )
    assert code == 0
    assert list(csv.reader(out.splitlines())) == [["n", "label"], ["1", "row 1"], ["2", "row 2"]]
    assert "(2 rows," in err
    _, out, _ = run(
        capsys, tiny_warehouse, "select n from marts.numbers where n < 3 -- c", "-f", "json"
    )
    assert json.loads(out) == [{"n": 1}, {"n": 2}]


def test_format_follows_the_output_suffix_and_refuses_nonsense(tmp_path) -> None:
    assert query.resolve_format(None, "x.parquet") == "parquet"
    assert query.resolve_format(None, None) == "table"
    with pytest.raises(query.UsageError, match="add --output"):
        query.resolve_format("parquet", None)
    with pytest.raises(query.UsageError, match="--format"):
        query.resolve_format("table", "x.txt")
    assert query.copy_statement("select 1 ;; ", "it's.csv", "csv") == (
        "COPY (\nselect 1\n) TO 'it''s.csv' (FORMAT csv, HEADER true)"
    )


def test_bad_sql_prints_the_first_line_of_duckdbs_error(capsys, tiny_warehouse) -> None:
    code, out, err = run(capsys, tiny_warehouse, "selec 1")
    assert code == 1 and out == ""
    assert err == 'query failed: Parser Error: syntax error at or near "selec"\n'


def test_the_warehouse_is_opened_read_only(capsys, tiny_warehouse) -> None:
    code, _, err = run(capsys, tiny_warehouse, "drop table marts.numbers")
    assert code == 1 and "read-only" in err and len(err.splitlines()) == 1


def test_missing_warehouse_says_run_elt_first(capsys, tmp_path) -> None:
    code, _, err = run(capsys, str(tmp_path / "none.duckdb"), "select 1")
    assert code == 1 and err.strip().endswith("run `just elt` first")


def test_a_running_elt_gets_one_clear_line(capsys, tiny_warehouse, writer_holding) -> None:
    mark_elt_running(tiny_warehouse, writer_holding.pid)
    code, out, err = run(capsys, tiny_warehouse, "select 1")
    assert (code, out, err) == (1, "", ELT_RUNNING + "\n")


def test_another_writer_is_named_when_no_elt_runs(capsys, tiny_warehouse, writer_holding) -> None:
    code, _, err = run(capsys, tiny_warehouse, "select 1")
    assert code == 1 and len(err.splitlines()) == 1
    assert err.startswith(ELT_RUNNING) and f"pid {writer_holding.pid}" in err
