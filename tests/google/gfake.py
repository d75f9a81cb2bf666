"""A recorded fake of the Google APIs, served at the HTTP boundary.

``FakeGoogle`` answers the requests the real client libraries build
(googleapiclient for Forms, Gmail and Drive; gspread for Sheets; google-auth
for the token endpoint) through ``responses`` callbacks. It serves the
program kit's files as the APIs would, applies writes to its own copy of
each spreadsheet, checks every body it returns (and every body it receives)
against the discovery documents, and records every request, so tests can
count them.
"""

from __future__ import annotations

import base64
import contextlib
import csv
import functools
import json
import re
from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

import responses
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from gschema import check_request, check_response
from pmc_sync.adapters.local_staff import TABS as DECISION_TABS
from pmc_sync.google.settings import GoogleSettings

CONTROL_ID = "1ControlSheetForTheProgramAbcdefghijklmnop"
MASTER_ID = "1MasterChecklistOfTheProgramAbcdefghijklmn"
SERVICE_ACCOUNT = "pmc-sync@pmc-test.iam.gserviceaccount.com"
MAILBOX = "pmc@example.edu"
TOKEN_URL = "https://oauth2.googleapis.com/token"
HOSTS = re.compile(r"https://(oauth2|forms|sheets|gmail|www)\.googleapis\.com/.*")


@functools.cache
def _private_key_pem() -> str:
    """A throwaway RSA key, made once per test session."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()


def write_key_file(folder: Path) -> Path:
    """A service-account key file, as IAM would give one, for the throwaway key."""
    path = Path(folder) / "service-account.json"
    path.touch(mode=0o600)
    path.write_text(
        json.dumps(
            {
                "type": "service_account",
                "project_id": "pmc-test",
                "private_key_id": "0123456789abcdef",
                "private_key": _private_key_pem(),
                "client_email": SERVICE_ACCOUNT,
                "client_id": "100000000000000000001",
                "token_uri": TOKEN_URL,
            }
        )
    )
    return path


def make_settings(folder: Path, form_ids: dict[str, str], **limits) -> GoogleSettings:
    return GoogleSettings(
        project="pmc-test",
        service_account=SERVICE_ACCOUNT,
        key_file=str(write_key_file(folder)),
        program_mailbox=MAILBOX,
        delegated_subject=None,
        form_ids=form_ids,
        control_spreadsheet_id=CONTROL_ID,
        master_checklist_id=MASTER_ID,
        **limits,
    )


def google_error(status: int, message: str, reason: str = "", code: str = "") -> dict:
    error: dict[str, Any] = {"code": status, "message": message}
    if code:
        error["status"] = code
    if reason:
        error["errors"] = [{"domain": "global", "reason": reason, "message": message}]
    return {"error": error}


def formatted(value: Any) -> str:
    """A written value as Sheets shows it (its formattedValue)."""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return "" if value is None else str(value)


def grid_from_csv(path: Path) -> list[list[str]]:
    with path.open(newline="", encoding="utf-8") as fh:
        return [list(row) for row in csv.reader(fh)]


_A1 = re.compile(r"^(?:'((?:[^']|'')+)'|([^'!]+))!([A-Z]+)(\d+)$")


def parse_a1(text: str) -> tuple[str, int, int]:
    """('Tab'!C5) -> (title, row 0-based, col 0-based)."""
    match = _A1.match(text)
    assert match, f"range {text!r} is not 'Tab'!A1 notation"
    title = (match.group(1) or "").replace("''", "'") or match.group(2)
    col = 0
    for ch in match.group(3):
        col = col * 26 + ord(ch) - 64
    return title, int(match.group(4)) - 1, col - 1


@dataclass
class Call:
    action: str
    target: str
    method: str
    url: str


@dataclass
class Fault:
    status: int
    body: dict
    headers: dict = field(default_factory=dict)


class FakeGoogle:
    """Forms, Sheets, Gmail, Drive and the token endpoint, in memory."""

    def __init__(self) -> None:
        self.forms: dict[str, dict] = {}
        self.pages: dict[str, list[dict]] = {}
        self.spreadsheets: dict[str, dict[str, list[list[str]]]] = {}
        self.sent: list[Any] = []
        self.permissions: list[tuple[str, dict]] = []
        self.calls: list[Call] = []
        self.token_claims: list[dict] = []
        self.faults: dict[tuple[str, str], list[Fault]] = defaultdict(list)
        self.cells_written: Counter[str] = Counter()

    # Setting up.

    def add_form(self, form: dict, pages: list[dict]) -> None:
        check_response("forms", "forms.forms.get", form)
        for page in pages:
            check_response("forms", "forms.forms.responses.list", page)
        self.forms[form["formId"]] = form
        self.pages[form["formId"]] = pages

    def submit(self, form_id: str, response: dict) -> None:
        """A new or edited response (an edit keeps its responseId)."""
        for page in self.pages[form_id]:
            for i, held in enumerate(page.get("responses", [])):
                if held["responseId"] == response["responseId"]:
                    page["responses"][i] = response
                    return
        if not self.pages[form_id]:
            self.pages[form_id].append({"responses": []})
        self.pages[form_id][-1].setdefault("responses", []).append(response)

    def add_spreadsheet(self, sheet_id: str, tabs: dict[str, list[list[str]]]) -> None:
        self.spreadsheets[sheet_id] = {t: [list(r) for r in g] for t, g in tabs.items()}

    def fail(
        self,
        action: str,
        status: int,
        body: dict,
        target: str = "",
        times: int = 1,
        headers: dict | None = None,
    ) -> None:
        """Fail the next ``times`` calls of ``action`` (on ``target``)."""
        self.faults[(action, target)] += [Fault(status, body, headers or {})] * times

    def install(self, mock: responses.RequestsMock) -> None:
        for method in ("GET", "POST", "PUT"):
            mock.add_callback(method, HOSTS, callback=self.handle)

    # Counting.

    def count(self, action: str, target: str | None = None) -> int:
        return sum(
            1
            for c in self.calls
            if c.action == action and (target is None or c.target == target)
        )

    def writes(self) -> list[Call]:
        """Every request that changes something (the token endpoint aside)."""
        return [c for c in self.calls if c.method != "GET" and c.action != "token"]

    def summary(self) -> dict[str, int]:
        return dict(sorted(Counter(c.action for c in self.calls).items()))

    # Serving.

    def handle(self, request) -> tuple[int, dict, str]:
        url = urlparse(request.url)
        query = {k: v[0] for k, v in parse_qs(url.query).items()}
        body = request.body or b""
        body = body.decode() if isinstance(body, bytes) else body
        action, target, handler = self._route(request.method, url.hostname, url.path)
        self.calls.append(Call(action, target, request.method, request.url))
        queue = self.faults.get((action, target)) or self.faults.get((action, ""))
        if queue:
            fault = queue.pop(0)
            return fault.status, fault.headers, json.dumps(fault.body)
        if action != "token" and not str(
            request.headers.get("Authorization", "")
        ).startswith("Bearer ya29.fake-"):
            return 401, {}, json.dumps(google_error(401, "Invalid Credentials"))
        status, payload = handler(target, query, body)
        return status, {"Content-Type": "application/json"}, json.dumps(payload)

    def _route(self, method: str, host: str, path: str):
        routes = [
            ("POST", "oauth2", r"/token", "token", self._token),
            ("GET", "forms", r"/v1/forms/([^/]+)", "forms.get", self._form_get),
            (
                "GET",
                "forms",
                r"/v1/forms/([^/]+)/responses",
                "forms.responses.list",
                self._responses_list,
            ),
            (
                "GET",
                "sheets",
                r"/v4/spreadsheets/([^/:]+)",
                "sheets.get",
                self._sheet_get,
            ),
            (
                "POST",
                "sheets",
                r"/v4/spreadsheets/([^/:]+)/values:batchUpdate",
                "sheets.values.batchUpdate",
                self._values_batch_update,
            ),
            (
                "POST",
                "sheets",
                r"/v4/spreadsheets/([^/:]+):batchUpdate",
                "sheets.batchUpdate",
                self._batch_update,
            ),
            (
                "POST",
                "gmail",
                r"/gmail/v1/users/me/messages/send",
                "gmail.send",
                self._send,
            ),
            ("GET", "gmail", r"/gmail/v1/users/me/messages", "gmail.list", self._list),
            (
                "POST",
                "www",
                r"/drive/v3/files/([^/]+)/copy",
                "drive.copy",
                self._copy,
            ),
            (
                "POST",
                "www",
                r"/drive/v3/files/([^/]+)/permissions",
                "drive.permissions.create",
                self._share,
            ),
        ]
        for want_method, want_host, pattern, action, handler in routes:
            match = re.fullmatch(pattern, path)
            if match and method == want_method and host.startswith(want_host):
                return action, (match.groups() or ("",))[0], handler
        raise AssertionError(f"the fake does not serve {method} {host}{path}")

    def _token(self, _target, _query, body) -> tuple[int, dict]:
        form = {k: v[0] for k, v in parse_qs(body).items()}
        assert form["grant_type"] == "urn:ietf:params:oauth:grant-type:jwt-bearer"
        claims = form["assertion"].split(".")[1]
        claims += "=" * (-len(claims) % 4)
        self.token_claims.append(json.loads(base64.urlsafe_b64decode(claims)))
        number = len(self.token_claims)
        return 200, {
            "access_token": f"ya29.fake-{number}",
            "expires_in": 3600,
            "token_type": "Bearer",
        }

    def _form_get(self, form_id, _query, _body) -> tuple[int, dict]:
        if form_id not in self.forms:
            return 404, google_error(
                404, "Requested entity was not found.", "", "NOT_FOUND"
            )
        payload = self.forms[form_id]
        check_response("forms", "forms.forms.get", payload)
        return 200, payload

    def _responses_list(self, form_id, query, _body) -> tuple[int, dict]:
        if form_id not in self.forms:
            return 404, google_error(
                404, "Requested entity was not found.", "", "NOT_FOUND"
            )
        pages = self.pages[form_id]
        if "filter" not in query:
            token = query.get("pageToken")
            index = 0
            if token:
                index = 1 + next(
                    i for i, p in enumerate(pages) if p.get("nextPageToken") == token
                )
            payload = pages[index] if pages else {}
        else:
            match = re.fullmatch(r"timestamp (>=|>) (\S+Z)", query["filter"])
            if not match:
                return 400, google_error(
                    400, f"Invalid filter: {query['filter']}", "", "INVALID_ARGUMENT"
                )
            op, cursor = match.groups()
            kept = [
                r
                for p in pages
                for r in p.get("responses", [])
                if _after(r["lastSubmittedTime"], cursor, op == ">=")
            ]
            size = min(int(query.get("pageSize", 5000)), 5000)
            start = int(query.get("pageToken", "f-0")[2:])
            payload = {"responses": kept[start : start + size]} if kept else {}
            if start + size < len(kept):
                payload["nextPageToken"] = f"f-{start + size}"
            if not payload.get("responses"):
                payload.pop("responses", None)
        check_response("forms", "forms.forms.responses.list", payload)
        return 200, payload

    def _sheet_get(self, sheet_id, query, _body) -> tuple[int, dict]:
        if sheet_id not in self.spreadsheets:
            return 404, google_error(
                404, "Requested entity was not found.", "", "NOT_FOUND"
            )
        sheets = []
        for index, (title, grid) in enumerate(self.spreadsheets[sheet_id].items()):
            tab: dict[str, Any] = {
                "properties": {"sheetId": index, "title": title, "index": index}
            }
            if query.get("includeGridData") == "true":
                rows = []
                for row in grid:
                    cells = [{"formattedValue": v} if v != "" else {} for v in row]
                    while cells and not cells[-1]:
                        cells.pop()
                    rows.append({"values": cells} if any(cells) else {})
                tab["data"] = [{"rowData": rows}] if rows else [{}]
            sheets.append(tab)
        payload = {"sheets": sheets}
        check_response("sheets", "sheets.spreadsheets.get", payload)
        return 200, payload

    def _values_batch_update(self, sheet_id, _query, body) -> tuple[int, dict]:
        request = json.loads(body)
        check_request("sheets", "sheets.spreadsheets.values.batchUpdate", request)
        assert request["valueInputOption"] == "RAW", request["valueInputOption"]
        tabs = self.spreadsheets.get(sheet_id)
        if tabs is None:
            return 404, google_error(
                404, "Requested entity was not found.", "", "NOT_FOUND"
            )
        replies = []
        for item in request["data"]:
            title, top, left = parse_a1(item["range"])
            if title not in tabs:
                return 400, google_error(
                    400,
                    f"Unable to parse range: {item['range']}",
                    "",
                    "INVALID_ARGUMENT",
                )
            grid = tabs[title]
            for r, row in enumerate(item["values"]):
                while len(grid) <= top + r:
                    grid.append([])
                line = grid[top + r]
                for c, value in enumerate(row):
                    while len(line) <= left + c:
                        line.append("")
                    line[left + c] = formatted(value)
                    self.cells_written[sheet_id] += 1
            height, width = len(item["values"]), max(map(len, item["values"]))
            replies.append(
                {
                    "spreadsheetId": sheet_id,
                    "updatedRange": item["range"],
                    "updatedRows": height,
                    "updatedColumns": width,
                    "updatedCells": sum(map(len, item["values"])),
                }
            )
        payload = {
            "spreadsheetId": sheet_id,
            "totalUpdatedRows": sum(r["updatedRows"] for r in replies),
            "totalUpdatedColumns": max([r["updatedColumns"] for r in replies] + [0]),
            "totalUpdatedCells": sum(r["updatedCells"] for r in replies),
            "totalUpdatedSheets": len(
                {parse_a1(i["range"])[0] for i in request["data"]}
            ),
            "responses": replies,
        }
        check_response("sheets", "sheets.spreadsheets.values.batchUpdate", payload)
        return 200, payload

    def _batch_update(self, sheet_id, _query, body) -> tuple[int, dict]:
        request = json.loads(body)
        check_request("sheets", "sheets.spreadsheets.batchUpdate", request)
        tabs = self.spreadsheets.get(sheet_id)
        if tabs is None:
            return 404, google_error(
                404, "Requested entity was not found.", "", "NOT_FOUND"
            )
        replies = []
        for item in request["requests"]:
            assert set(item) == {"addSheet"}, f"the fake only adds sheets: {item}"
            title = item["addSheet"]["properties"]["title"]
            if title in tabs:
                return 400, google_error(
                    400,
                    f'Invalid requests[0].addSheet: A sheet with the name "{title}" '
                    "already exists. Please enter another name.",
                    "",
                    "INVALID_ARGUMENT",
                )
            tabs[title] = []
            replies.append(
                {
                    "addSheet": {
                        "properties": {
                            "sheetId": len(tabs),
                            "title": title,
                            "index": len(tabs) - 1,
                            "sheetType": "GRID",
                            "gridProperties": {"rowCount": 1000, "columnCount": 26},
                        }
                    }
                }
            )
        payload = {"spreadsheetId": sheet_id, "replies": replies}
        check_response("sheets", "sheets.spreadsheets.batchUpdate", payload)
        return 200, payload

    def _send(self, _target, _query, body) -> tuple[int, dict]:
        request = json.loads(body)
        check_request("gmail", "gmail.users.messages.send", request)
        raw = base64.urlsafe_b64decode(
            request["raw"] + "=" * (-len(request["raw"]) % 4)
        )
        self.sent.append(message_from_bytes(raw, policy=policy.default))
        number = f"{len(self.sent):016x}"
        payload = {"id": number, "threadId": number, "labelIds": ["SENT"]}
        check_response("gmail", "gmail.users.messages.send", payload)
        return 200, payload

    def _list(self, _target, query, _body) -> tuple[int, dict]:
        wanted = query.get("q", "")
        assert wanted.startswith("rfc822msgid:"), wanted
        mid = wanted.split(":", 1)[1]
        found = [
            {"id": f"{i + 1:016x}", "threadId": f"{i + 1:016x}"}
            for i, m in enumerate(self.sent)
            if str(m["Message-ID"]).strip("<>") == mid
        ]
        payload: dict[str, Any] = {"resultSizeEstimate": len(found)}
        if found:
            payload["messages"] = found
        check_response("gmail", "gmail.users.messages.list", payload)
        return 200, payload

    def _copy(self, file_id, _query, body) -> tuple[int, dict]:
        request = json.loads(body)
        check_request("drive", "drive.files.copy", request)
        if file_id not in self.spreadsheets:
            return 404, google_error(404, f"File not found: {file_id}.", "notFound")
        new_id = f"1CopyOfTheMasterChecklist{len(self.spreadsheets):019d}"
        self.add_spreadsheet(new_id, self.spreadsheets[file_id])
        payload = {"id": new_id}
        check_response("drive", "drive.files.copy", payload)
        return 200, payload

    def _share(self, file_id, query, body) -> tuple[int, dict]:
        request = json.loads(body)
        check_request("drive", "drive.permissions.create", request)
        self.permissions.append((file_id, {**request, **query}))
        payload = {"id": f"perm{len(self.permissions)}"}
        check_response("drive", "drive.permissions.create", payload)
        return 200, payload


def _key(stamp: str) -> str:
    head, _, frac = stamp.rstrip("Z").partition(".")
    return f"{head}.{frac.ljust(9, '0')}"


def _after(stamp: str, cursor: str, inclusive: bool) -> bool:
    return _key(stamp) >= _key(cursor) if inclusive else _key(stamp) > _key(cursor)


def control_tabs(decisions: dict) -> dict[str, list[list[str]]]:
    """The control spreadsheet as staff set it up: the decision tabs only."""
    rows = {
        "Elective approvals": [[r, "", ""] for r in decisions["elective_approvals"]],
        "Fundamentals substitutions": [
            [s["email"], s["approved_on"], s.get("note", "")]
            for s in decisions["fundamentals_substitutions"]
        ],
        "Aliases": [[k, v] for k, v in decisions["aliases"].items()],
        "Withdrawn": [[e, ""] for e in decisions["withdrawn"]],
        "Dismissed unmatched": [[r, ""] for r in decisions["dismissed_unmatched"]],
    }
    return {  # an optional tab (Checklist copies) is not set up yet
        title: [list(header), *rows[title]]
        for title, header in DECISION_TABS.items()
        if title in rows
    }


def kit_fake(kit: Path) -> tuple[FakeGoogle, dict[str, str]]:
    """The program kit's forms, sample cohort, checklists and decisions, served.

    Returns the fake and the form ids by form key.
    """
    fake = FakeGoogle()
    form_ids = {}
    for path in sorted((kit / "forms").glob("*.json")):
        form = json.loads(path.read_text(encoding="utf-8"))
        folder = kit / "sample" / "responses" / path.stem
        pages = [
            json.loads(p.read_text(encoding="utf-8"))
            for p in sorted(folder.glob("page-*.json"))
        ]
        fake.add_form(form, pages)
        form_ids[path.stem] = form["formId"]
    for path in sorted((kit / "sample" / "checklists").glob("*.csv")):
        fake.add_spreadsheet(path.stem, {"Checklist": grid_from_csv(path)})
    fake.add_spreadsheet(
        MASTER_ID, {"Checklist": grid_from_csv(kit / "checklist-template.csv")}
    )
    decisions = json.loads((kit / "sample" / "staff-decisions.json").read_text())
    fake.add_spreadsheet(CONTROL_ID, control_tabs(decisions))
    return fake, form_ids


@contextlib.contextmanager
def served(fake: FakeGoogle) -> Iterator[responses.RequestsMock]:
    """Route every Google API request of the block to ``fake``."""
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        fake.install(mock)
        yield mock


def kit_ports(tmp_path: Path, config, kit: Path, **limits):
    """(fake, ports, waits): the kit served, ports built the production way."""
    from pmc_sync.google import google_ports

    fake, form_ids = kit_fake(kit)
    waits: list[float] = []
    settings = make_settings(tmp_path, form_ids, **limits)
    return fake, google_ports(settings, config, sleep=waits.append), waits
