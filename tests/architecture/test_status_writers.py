"""Each stateful entity's status is written in one place: its state module (issue #17,
point 1). This test reads every application module (``ast``; migrations, tests and bench
are left out) and fails on any write of a status outside those modules.

``ast`` cannot know the type of ``x`` in ``x.status = ...``, so the forms below are
refused everywhere, whatever the model, except in the state module of the entity that owns
the field and at the writes listed in ``ALLOWED`` (another model's own status, out of
scope, each with its model and the reason):

* ``x.status = ...`` / ``x.stage = ...`` (also in a tuple target, ``+=``, annotated);
* ``setattr(x, "status", ...)``; ``columns["status"] = ...`` (columns gathered for a later
  ``.update(**columns)``);
* ``.update(status=...)`` / ``.update(stage=...)``, whatever the value (``F``, ``Case``,
  a constant), also as ``.update(**{"status": ...})``; ``.bulk_update(objs, ["status"])``;
  ``.update_or_create(defaults={"status": ...})``;
* raw SQL: a string ``UPDATE <table> SET ... status = ...`` (or ``stage``, also
  ``ON CONFLICT ... DO UPDATE SET``) on one of the entities' tables, or on a table the
  string does not name (``{table}``, ``%s``).

Creating a row in its initial status (``Model(status=...)``, ``objects.create(...)``, a
bulk ``INSERT``) is not a change and is not refused.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.apps import apps

from core.state_machine import StateMachine

# Reads code and configuration, no clock: not rerun at the shifted dates.
pytestmark = pytest.mark.date_independent

ROOT = Path(__file__).resolve().parents[2]
SKIPPED_DIRS = {"migrations", "tests", "bench", "node_modules", "static", "media", "docs"}


@dataclass(frozen=True)
class Entity:
    model: str  # app_label.Model
    field: str
    module: str  # the state module, relative to the repository root


ENTITIES = (
    Entity("contracts.Contract", "status", "contracts/contract_states.py"),
    Entity("renewals.RenewalCase", "stage", "renewals/case_states.py"),
    Entity("renewals.Quote", "status", "renewals/quote_states.py"),
    Entity("billing.Invoice", "status", "billing/invoice_states.py"),
    Entity("retention.CancellationRequest", "status", "retention/request_states.py"),
    Entity("notifications.Message", "status", "notifications/message_states.py"),
    Entity("insights.Feedback", "status", "insights/feedback_states.py"),
    Entity("insights.ImportJob", "status", "insights/import_states.py"),
    Entity("relations.PlannedContact", "status", "relations/contact_states.py"),
    Entity("relations.CompensationClaim", "status", "relations/claim_states.py"),
    Entity("relations.Campaign", "status", "relations/campaign_states.py"),
    Entity("payments.PaymentAttempt", "status", "payments/attempt_states.py"),
    Entity("payments.ProviderRefund", "status", "payments/refund_states.py"),
    Entity("payments.PaymentMandate", "status", "payments/mandate_states.py"),
)
FIELDS = frozenset(e.field for e in ENTITIES)


@dataclass(frozen=True)
class Allowed:
    """A write of another model's status. ``marker`` must appear in the write's source
    (the enum of that model's statuses, usually), so that a write of an entity's status
    in the same module is still refused."""

    path: str
    marker: str
    model: str
    reason: str


ALLOWED = (
    Allowed(
        "retention/services/offers.py",
        "GrantStatus.",
        "retention.OfferGrant.status",
        "what an accepted offer granted (pending/applied/used): a marker on the grant "
        "row, set when it is created and when a quote uses it; no workflow of issue #17",
    ),
    Allowed(
        "notifications/views.py",
        'filters["status"]',
        "notifications.Message.status (read)",
        "the outbox list's filter on the status (failed messages page): a query "
        "filter, nothing is written",
    ),
    Allowed(
        "api/webhooks.py",
        "DeliveryStatus.",
        "api.WebhookDelivery.status",
        "a webhook delivery's outcome, written by its sender under its own claim "
        "(``fields`` is a dict of columns, not a queryset); not one of the 8 entities",
    ),
)


@dataclass(frozen=True)
class Write:
    path: str
    line: int
    field: str
    form: str
    source: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.form}: {self.source}"


# --- finding writes -------------------------------------------------------------------------

_SET_CLAUSE = re.compile(
    r"\bSET\b(?P<clause>.*?)(?:\bWHERE\b|\bFROM\b|\bRETURNING\b|;|$)", re.I | re.S
)
_SET_FIELD = re.compile(r"(?:^|,)\s*(?:\w+\.)?\"?(?P<field>status|stage)\"?\s*=(?!=)", re.I)
# The table written: UPDATE <table>, or INSERT INTO <table> ... ON CONFLICT DO UPDATE SET.
_UPDATE_TABLE = re.compile(r"\b(?:UPDATE|INSERT\s+INTO)\s+(?!SET\b)(?P<table>\"?[\w.]+\"?)", re.I)


def _entity_tables() -> frozenset[str]:
    return frozenset(apps.get_model(e.model)._meta.db_table for e in ENTITIES)


def _string_value(node: ast.AST) -> str | None:
    """The text of a string constant or f-string (its expressions as ``{}``)."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        return "".join(v.value if isinstance(v, ast.Constant) else "{}" for v in node.values)
    return None


def _sql_fields(text: str, tables: frozenset[str]) -> list[str]:
    """The entity fields a SQL string sets, on an entity table or an unnamed one."""
    if "SET" not in text.upper():
        return []
    table = _UPDATE_TABLE.search(text)
    if table is not None:
        name = table.group("table").strip('"').split(".")[-1]
        if re.fullmatch(r"\w+", name) and name not in tables:
            return []  # another table, named in the string
    found = []
    for clause in _SET_CLAUSE.finditer(text):
        found += [m.group("field").lower() for m in _SET_FIELD.finditer(clause.group("clause"))]
    return found


def _const(node: ast.AST | None) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    return None


def _call_writes(call: ast.Call) -> list[tuple[str, str]]:
    """(field, form) for each status a call writes."""
    func = call.func
    name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
    found: list[tuple[str, str]] = []
    if name == "setattr" and len(call.args) >= 2 and _const(call.args[1]) in FIELDS:
        found.append((_const(call.args[1]) or "", "setattr"))
    if name == "update":
        for kw in call.keywords:
            if kw.arg in FIELDS:
                kind = type(kw.value).__name__
                if isinstance(kw.value, ast.Call):
                    kind = getattr(kw.value.func, "id", getattr(kw.value.func, "attr", kind))
                found.append((kw.arg, f".update({kw.arg}=<{kind}>)"))
            elif kw.arg is None and isinstance(kw.value, ast.Dict):
                for key in kw.value.keys:
                    if _const(key) in FIELDS:
                        found.append((_const(key) or "", ".update(**{...})"))
    if name == "bulk_update":
        fields = call.args[1] if len(call.args) >= 2 else None
        for kw in call.keywords:
            if kw.arg == "fields":
                fields = kw.value
        if isinstance(fields, ast.List | ast.Tuple | ast.Set):
            for elt in fields.elts:
                if _const(elt) in FIELDS:
                    found.append((_const(elt) or "", ".bulk_update(fields=[...])"))
    if name == "update_or_create":
        for kw in call.keywords:
            if kw.arg in ("defaults", "create_defaults") and isinstance(kw.value, ast.Dict):
                for key in kw.value.keys:
                    if _const(key) in FIELDS and kw.arg == "defaults":
                        found.append((_const(key) or "", ".update_or_create(defaults=...)"))
    return found


def _targets(node: ast.AST) -> list[ast.AST]:
    if isinstance(node, ast.Tuple | ast.List):
        return [t for elt in node.elts for t in _targets(elt)]
    if isinstance(node, ast.Starred):
        return _targets(node.value)
    return [node]


def status_writes(source: str, path: str, tables: frozenset[str]) -> list[Write]:
    """Every write of an entity's status field in one module's source."""
    tree = ast.parse(source, filename=path)
    lines = source.splitlines()
    writes: list[Write] = []

    def add(node: ast.AST, field: str, form: str) -> None:
        line = getattr(node, "lineno", 0)
        text = ast.get_source_segment(source, node) or (lines[line - 1] if line else "")
        writes.append(Write(path, line, field, form, " ".join(text.split())[:160]))

    # The literal parts of an f-string are read with the whole f-string, not alone.
    parts = {id(v) for n in ast.walk(tree) if isinstance(n, ast.JoinedStr) for v in n.values}
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign | ast.AugAssign | ast.AnnAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in (t for tt in targets for t in _targets(tt)):
                if isinstance(target, ast.Attribute) and target.attr in FIELDS:
                    add(node, target.attr, f".{target.attr} = ...")
                elif isinstance(target, ast.Subscript) and _const(target.slice) in FIELDS:
                    # Columns gathered for a later .update(**columns).
                    field = _const(target.slice) or ""
                    add(node, field, f'["{field}"] = ...')
        elif isinstance(node, ast.Call):
            for field, form in _call_writes(node):
                add(node, field, form)
        elif id(node) not in parts:
            text = _string_value(node)
            for field in _sql_fields(text, tables) if text is not None else []:
                add(node, field, f"raw SQL SET {field}")
    return writes


def _modules() -> list[Path]:
    found = []
    for path in sorted(ROOT.rglob("*.py")):
        parts = path.relative_to(ROOT).parts
        if any(p.startswith(".") or p in SKIPPED_DIRS for p in parts[:-1]):
            continue
        found.append(path)
    return found


def _allowed(write: Write) -> Allowed | None:
    for entity in ENTITIES:
        if write.path == entity.module and write.field == entity.field:
            return Allowed(entity.module, "", entity.model, "its state module")
    for allowed in ALLOWED:
        if write.path == allowed.path and allowed.marker in write.source:
            return allowed
    return None


def _all_writes() -> list[Write]:
    tables = _entity_tables()
    writes = []
    for path in _modules():
        rel = path.relative_to(ROOT).as_posix()
        writes += status_writes(path.read_text(encoding="utf-8"), rel, tables)
    return writes


# --- the rule ---------------------------------------------------------------------------------


def test_only_the_state_modules_write_a_status():
    offenders = [w for w in _all_writes() if _allowed(w) is None]
    assert not offenders, (
        "A status is written outside its state module (call the entity's state module "
        "instead, or list another model's status in ALLOWED with its reason):\n"
        + "\n".join(str(w) for w in offenders)
    )


def test_every_allowed_write_still_exists():
    """An entry of ALLOWED that matches nothing any more is removed, not kept as a hole."""
    writes = _all_writes()
    stale = [
        a for a in ALLOWED if not any(w.path == a.path and a.marker in w.source for w in writes)
    ]
    assert not stale, f"ALLOWED entries that match no write: {stale}"


@pytest.mark.parametrize("entity", ENTITIES, ids=lambda e: e.model)
def test_each_entity_declares_its_workflow_in_its_state_module(entity):
    """The state module exists and declares the one StateMachine of its model and field."""
    import importlib

    path = ROOT / entity.module
    assert path.exists(), f"{entity.module} is missing"
    module = importlib.import_module(entity.module.removesuffix(".py").replace("/", "."))
    machines = [v for v in vars(module).values() if isinstance(v, StateMachine)]
    model = apps.get_model(entity.model)
    assert [(m.model, m.attr) for m in machines] == [(model, entity.field)]


# --- the test tests itself: every form is caught, harmless code is not ---------------------

FORBIDDEN = """
def f(message, request, case, Message, cursor, table):
    message.status = "sent"
    case.stage = "won"
    request.status, other = "x", 1
    message.status += ""
    setattr(request, "status", "withdrawn")
    Message.objects.filter(pk=1).update(status="sent")
    Message.objects.filter(pk=1).update(status=F("other"))
    Message.objects.filter(pk=1).update(stage=Case(When(pk=1, then=Value("won"))))
    Message.objects.filter(pk=1).update(**{"status": "sent"})
    Message.objects.bulk_update([message], ["status", "sent_at"])
    Message.objects.update_or_create(pk=1, defaults={"status": "sent"})
    columns["status"] = "sent"
    cursor.execute("UPDATE notifications_message SET status = 'sent' WHERE id = %s", [1])
    cursor.execute(f"UPDATE {table} SET sent_at = now(), status = 'sent' WHERE id = 1")
    cursor.execute("INSERT INTO renewals_quote VALUES (1) ON CONFLICT DO UPDATE SET status = 'x'")
    cursor.execute("UPDATE renewals_renewalcase c SET stage = 'won' FROM x WHERE c.id = x.id")
"""

HARMLESS = """
class Message(models.Model):
    status = models.CharField(max_length=10)

def f(message, Message, cursor):
    Message(status="pending")
    Message.objects.create(status="pending", kind="x")
    Message.objects.filter(status="pending").update(read_at=now())
    if message.status == "sent" or message.stage in ("won",):
        pass
    cursor.execute("UPDATE notifications_message SET read_at = now() WHERE status = 'sent'")
    cursor.execute("UPDATE api_webhookdelivery SET status = 'failed' WHERE id = 1")
    cursor.execute("INSERT INTO notifications_message (status) VALUES ('pending')")
    values = {"status": "x"}
    return message.status
"""


def test_the_scanner_finds_every_forbidden_form():
    writes = status_writes(FORBIDDEN, "example/services.py", _entity_tables())
    lines = sorted({w.line for w in writes})
    # Every line of the body (lines 3 to 18 of the snippet) writes a status.
    assert lines == list(range(3, 19)), "\n".join(str(w) for w in writes)
    assert all(_allowed(w) is None for w in writes)


def test_the_scanner_leaves_reads_creations_and_other_tables_alone():
    assert status_writes(HARMLESS, "example/services.py", _entity_tables()) == []


def test_a_state_module_may_write_only_its_own_field():
    source = "def f(case, quote):\n    case.stage = 'won'\n    quote.status = 'sent'\n"
    writes = status_writes(source, "renewals/case_states.py", _entity_tables())
    assert [(w.field, _allowed(w) is None) for w in writes] == [("stage", False), ("status", True)]


def test_the_walk_reads_the_application_and_skips_tests_and_migrations():
    paths = {p.relative_to(ROOT).as_posix() for p in _modules()}
    assert "retention/services/requests.py" in paths
    assert "notifications/services/delivery.py" in paths
    assert not any(p.startswith(("tests/", "bench/")) or "/migrations/" in p for p in paths)
    assert len(paths) > 200
