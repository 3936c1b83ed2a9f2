"""Every failure is one line of at most 300 characters, without a response body."""

from __future__ import annotations

import json

from dlt.extract.exceptions import ResourceExtractionError

from ingestion.errors import MAX_LINE, explain
from ingestion.http import ApiError
from ingestion.paging import PagingError

PAGE = json.dumps({"data": [{"id": str(n), "attributes": {"title": "x" * 50}} for n in range(40)]})


def raised_in_resource(error: Exception, resource: str = "incidents") -> Exception:
    """An error as dlt hands it up from a resource's page generator."""
    try:
        try:
            raise error
        except Exception as cause:
            raise ResourceExtractionError(resource, None, str(cause), "generator") from cause
    except ResourceExtractionError as wrapped:
        return wrapped


def test_an_unexpected_error_quoting_a_page_names_the_resource_without_the_body():
    line = explain(raised_in_resource(ValueError(f"cannot find total in response: {PAGE}")))
    assert line.startswith("reading incidents failed: ValueError: cannot find total in response;")
    assert "{" not in line


def test_a_message_is_cut_to_the_line_limit():
    line = explain(ApiError("the API at http://" + "h" * 400 + "/v1/ could not connect"))
    assert len(line) == MAX_LINE
    assert line.endswith("…")


def test_a_multi_line_message_becomes_one_line():
    assert "\n" not in explain(ApiError("first\nsecond"))


def test_a_paging_contradiction_is_explained_as_it_was_raised():
    error = PagingError("the API returned the same meta.next_cursor twice on /v1/incidents")
    assert explain(raised_in_resource(error)) == str(error)


def test_square_brackets_of_a_parameter_name_are_kept():
    line = explain(raised_in_resource(ValueError("filter[updated_at][gte] is not a date")))
    assert "filter[updated_at][gte] is not a date" in line


def test_an_unexpected_error_ends_with_what_to_do():
    line = explain(raised_in_resource(KeyError("meta")))
    assert line == "reading incidents failed: KeyError: 'meta'; rerun, and report it if it persists"


def test_an_unexpected_error_without_a_message_still_says_what_to_do():
    assert explain(RuntimeError()) == "RuntimeError; rerun, and report it if it persists"


def test_a_long_unexpected_error_is_cut_so_the_advice_still_fits_the_line():
    line = explain(raised_in_resource(ValueError("v" * 1000 + "\nsecond line")))
    assert len(line) <= MAX_LINE
    assert "\n" not in line
    assert line.endswith("…; rerun, and report it if it persists")
