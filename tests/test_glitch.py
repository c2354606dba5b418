"""GLITCH CSV reading: exact format, quirks skipped and counted, malformed input refused."""

import pytest

from iacsieve.data.glitch import GLITCH_HEADER, read_glitch_csv
from iacsieve.errors import IacsieveError

ROWS = """PATH,LINE,ERROR,DESCRIPTION,CODE
roles/db/tasks/main.yml,14,sec_hard_pass,Hard-coded password - Developers should not reveal sensitive information in the source code. (CWE-259),password: "s3cr3t, really"
recipes/default.rb,3,sec_susp_comm,Suspicious comment - Comments with keywords such as TODO HACK or FIXME may reveal problems possibly exploitable. (CWE-546),# TODO: rotate this key
manifests/init.pp,22,sec_https,Use of HTTP without TLS - Applications should use secure protocols. (CWE-319),source => 'http://mirror.local/pkg.tar.gz'
manifests/init.pp,9223372036854775999,sec_https,-,
manifests/init.pp,-33550336,sec_hard_secr,-,
manifests/init.pp,-1,sec_hard_user,-,
recipes/default.rb,3,sec_susp_comm,Suspicious comment - dup,# TODO: rotate this key
"""


def write(tmp_path, text, name="glitch.csv"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_reads_unquoted_rows_splitting_on_first_four_commas(tmp_path):
    report = read_glitch_csv(write(tmp_path, ROWS))
    assert [d.code for d in report.detections] == ["sec_hard_pass", "sec_susp_comm", "sec_https"]
    first = report.detections[0]
    assert first.snippet == 'password: "s3cr3t, really"'
    assert (first.path, first.line, first.row) == ("roles/db/tasks/main.yml", 14, 2)


def test_nonsense_lines_and_duplicates_are_skipped_and_counted(tmp_path):
    report = read_glitch_csv(write(tmp_path, ROWS))
    assert report.skipped["nonsense line number"] == 3
    assert report.skipped["duplicate row"] == 1


def test_header_only_gives_no_detections(tmp_path):
    report = read_glitch_csv(write(tmp_path, GLITCH_HEADER + "\n"))
    assert report.detections == []


def test_crlf_and_bom_are_accepted(tmp_path):
    text = "\ufeff" + ROWS.replace("\n", "\r\n")
    assert len(read_glitch_csv(write(tmp_path, text)).detections) == 3


@pytest.mark.parametrize(
    "text, message",
    [
        ("", "empty file"),
        ("PATH,LINE,SMELL,DESCRIPTION,CODE\n", "line 1: expected the GLITCH --csv header"),
        (GLITCH_HEADER + "\na.yml,3,sec_https\n", "line 2: expected 5 fields"),
        (GLITCH_HEADER + "\na.yml,three,sec_https,-,x\n", "line 2: LINE must be an integer"),
        (GLITCH_HEADER + "\n,3,sec_https,-,x\n", "line 2: PATH is empty"),
    ],
)
def test_malformed_csv_is_refused_naming_the_line(tmp_path, text, message):
    with pytest.raises(IacsieveError, match=message):
        read_glitch_csv(write(tmp_path, text))


def test_missing_and_binary_files_are_refused(tmp_path):
    with pytest.raises(IacsieveError, match="cannot read GLITCH CSV"):
        read_glitch_csv(tmp_path / "absent.csv")
    binary = tmp_path / "bin.csv"
    binary.write_bytes(b"\x00\x01\x02")
    with pytest.raises(IacsieveError, match="binary"):
        read_glitch_csv(binary)
