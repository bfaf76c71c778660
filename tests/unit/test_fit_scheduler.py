"""manage.py fit_scheduler: a review log file in, parameters fsrs accepts out; bad rows named."""

import json

import fsrs
import pytest
from django.core.management import CommandError, call_command

from cards.core import fitting
from tests.simulation.cohort import simulate_course

HEADER = "user_id,card_id,review_time,review_rating\n"


def write_revlog(path, students=3, days=20):
    # 20 days: a course's fit waits for reviews at 7+ day intervals (docs/learning.md).
    course = simulate_course(5, students=students, days=days)
    rows = [
        f"u{s.user_id},{r.card_id},{int(r.reviewed_at.timestamp() * 1000)},{r.rating}\n"
        for s in course.students
        for r in s.reviews
    ]
    path.write_text(HEADER + "".join(reversed(rows)), encoding="utf-8")  # any order
    return course


def test_writes_default_course_and_one_fit_per_user(tmp_path, capsys):
    revlog, output = tmp_path / "revlog.csv", tmp_path / "params.json"
    write_revlog(revlog)
    call_command("fit_scheduler", str(revlog), "--output", str(output), "--timezone", "Europe/Paris")
    result = json.loads(output.read_text())
    assert set(result) == {"default", "course", "students"}
    assert result["default"] == list(fitting.DEFAULT_PARAMETERS)
    assert set(result["students"]) == {"u1", "u2", "u3"}
    assert result["course"] != result["default"]
    for parameters in [result["course"], *result["students"].values()]:
        assert len(parameters) == 21
        fsrs.Scheduler(parameters=parameters)  # accepted as they are
    assert "reviews of 3 users" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("", r"revlog\.csv:1: empty file"),
        ("user,card_id,review_time,review_rating\n", r"revlog\.csv:1: header lacks user_id"),
        (HEADER + "u1,c1,1767600000000,3\nu1,c1,1767600060000,0\n", r"revlog\.csv:3: review_rating '0'"),
        (HEADER + "u1,c1,2026-01-05,3\n", r"revlog\.csv:2: review_time '2026-01-05' is not a time in milliseconds"),
        (HEADER + "u1,c1,-5,3\n", r"revlog\.csv:2: review_time '-5' is before 1970"),
        (HEADER + "u1,c1\n", r"revlog\.csv:2: 2 fields, expected 4"),
        (HEADER + ",c1,1767600000000,3\n", r"revlog\.csv:2: user_id and card_id must not be empty"),
        (HEADER, r"revlog\.csv: no reviews after the header"),
    ],
)
def test_bad_input_names_file_and_line(tmp_path, body, message):
    revlog = tmp_path / "revlog.csv"
    revlog.write_text(body, encoding="utf-8")
    with pytest.raises(CommandError, match=message):
        call_command("fit_scheduler", str(revlog), "--output", str(tmp_path / "out.json"))
    assert not (tmp_path / "out.json").exists()


def test_bad_options_and_missing_file(tmp_path):
    revlog = tmp_path / "revlog.csv"
    revlog.write_text(HEADER + "u1,c1,1767600000000,3\n", encoding="utf-8")
    out = str(tmp_path / "out.json")
    with pytest.raises(CommandError, match="--timezone 'Mars/Olympus' is not a time zone"):
        call_command("fit_scheduler", str(revlog), "--output", out, "--timezone", "Mars/Olympus")
    with pytest.raises(CommandError, match="--day-start-hour 24 is not an hour"):
        call_command("fit_scheduler", str(revlog), "--output", out, "--day-start-hour", "24")
    with pytest.raises(CommandError, match=r"missing\.csv: cannot read"):
        call_command("fit_scheduler", str(tmp_path / "missing.csv"), "--output", out)


def test_a_tiny_log_gets_the_defaults(tmp_path):
    revlog, output = tmp_path / "revlog.csv", tmp_path / "params.json"
    revlog.write_text(HEADER + "7,c1,1767600000000,3\n7,c1,1767700000000,3\n", encoding="utf-8")
    call_command("fit_scheduler", str(revlog), "--output", str(output))
    result = json.loads(output.read_text())
    assert result["course"] == result["default"] == result["students"]["7"]
