"""Spreadsheet ids from the links participants type."""

import pytest

from pmc_sync.links import sheet_id_from_link

ID = "1JD9KbBcxjErcy8hxHT89RYxVa3LbaBAaZ4dESD9PNo2"


@pytest.mark.parametrize(
    "link",
    [
        f"https://docs.google.com/spreadsheets/d/{ID}/edit#gid=0",
        f"  https://docs.google.com/spreadsheets/d/{ID}  ",
        f"https://docs.google.com/spreadsheets/u/1/d/{ID}/edit?usp=sharing",
        f"https://drive.google.com/open?id={ID}",
        ID,
    ],
)
def test_a_sheet_link_gives_its_id(link):
    assert sheet_id_from_link(link) == ID


@pytest.mark.parametrize(
    "link",
    [
        None,
        "",
        "my checklist",
        f"https://docs.google.com/forms/d/{ID}/viewform",
        f"https://docs.google.com/document/d/{ID}/edit",
        f"https://example.com/spreadsheets/d/{ID}/edit",
        f"javascript:alert('{ID}')",
        "1short",
    ],
)
def test_anything_else_is_unreachable(link):
    assert sheet_id_from_link(link) is None
