"""Staff pages of saved segments: the list, the builder (criteria → preview of the members,
GET; save, POST), a segment's members, delete. Members are always read within the viewer's
book (relations.segments); a segment the user may not see or edit answers 404."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import ProtectedError
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core.auth import AuthenticatedRequest, staff_required
from core.errors import DomainError

from .segment_forms import SegmentForm
from .segment_models import Segment
from .segments import (
    criteria_members,
    segment_delete,
    segment_member_count,
    segment_members,
    segment_save,
    segments_editable_by,
    segments_visible_to,
)

PREVIEW_PAGE = 50
# Query parameters that are not criteria (kept out of the save form's hidden fields).
NOT_CRITERIA = {"page", "name", "shared", "csrfmiddlewaretoken"}


@staff_required
def segment_list(request: AuthenticatedRequest) -> HttpResponse:
    today = timezone.localdate()
    rows = [
        (segment, segment_member_count(segment, as_of=today, viewer=request.user))
        for segment in segments_visible_to(request.user)
    ]
    return render(request, "relations/segment_list.html", {"rows": rows, "today": today})


def _builder(
    request: AuthenticatedRequest, *, segment: Segment | None, save_form: SegmentForm | None
) -> HttpResponse:
    """The builder page. With criteria in the query string (a preview), the members they
    select in the user's book, 50 a page, and the form to save them."""
    today = timezone.localdate()
    criteria_params = {k: v for k, v in request.GET.lists() if k not in NOT_CRITERIA}
    if save_form is not None:
        form = save_form
    elif criteria_params:
        form = SegmentForm(request.GET)
    elif segment is not None:
        # Editing: the saved criteria, previewed at once.
        form = SegmentForm(SegmentForm.initial_for(segment))
    else:
        form = SegmentForm()
    page = None
    if form.is_bound:
        form.is_valid()  # clean() sets form.criteria when the criteria are valid
    # Valid criteria are previewed even when the name is missing or taken (a refused save).
    criteria = getattr(form, "criteria", None)
    if criteria is not None and not criteria.is_empty:
        members = criteria_members(criteria, as_of=today, viewer=request.user)
        page = Paginator(members.select_related("account_manager"), PREVIEW_PAGE).get_page(
            request.GET.get("page")
        )
    hidden = _criteria_pairs(form.data) if form.is_bound else []
    return render(
        request,
        "relations/segment_form.html",
        {
            "form": form,
            "segment": segment,
            "page_obj": page,
            "hidden_criteria": hidden,
            "today": today,
            "save_name": (save_form.data.get("name") if save_form else None)
            or (segment.name if segment else ""),
            "save_shared": (save_form.data.get("shared") if save_form else None)
            or (segment.shared if segment else False),
        },
    )


def _criteria_pairs(data: Any) -> list[tuple[str, Any]]:
    """The criteria of a bound form as (name, value) pairs, for the save form's hidden
    fields (the form data is a QueryDict, or a dict when editing a saved segment)."""
    pairs = []
    for name in SegmentForm.base_fields:
        if name in NOT_CRITERIA:
            continue
        values = data.getlist(name) if hasattr(data, "getlist") else data.get(name)
        if values is None or values == "":
            continue
        for value in values if isinstance(values, list) else [values]:
            pairs.append((name, value))
    return pairs


def _save(request: AuthenticatedRequest, segment: Segment | None) -> HttpResponse:
    form = SegmentForm(request.POST, for_saving=True)
    if not form.is_valid():
        return _builder(request, segment=segment, save_form=form)
    try:
        saved = segment_save(
            by=request.user,
            name=form.cleaned_data["name"],
            criteria=form.criteria,
            shared=form.cleaned_data["shared"],
            segment=segment,
        )
    except DomainError as exc:
        form.add_error("name", exc.message)
        return _builder(request, segment=segment, save_form=form)
    messages.success(request, _("Segment “%(name)s” saved.") % {"name": saved.name})
    return redirect("relations:segment", pk=saved.pk)


@staff_required
def segment_new(request: AuthenticatedRequest) -> HttpResponse:
    if request.method == "POST":
        return _save(request, None)
    return _builder(request, segment=None, save_form=None)


@staff_required
def segment_edit(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    segment = get_object_or_404(segments_editable_by(request.user), pk=pk)
    if request.method == "POST":
        return _save(request, segment)
    return _builder(request, segment=segment, save_form=None)


@staff_required
def segment_detail(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    segment = get_object_or_404(segments_visible_to(request.user), pk=pk)
    today = timezone.localdate()
    members = segment_members(segment, as_of=today, viewer=request.user)
    page = Paginator(members.select_related("account_manager"), PREVIEW_PAGE).get_page(
        request.GET.get("page")
    )
    context: dict[str, Any] = {
        "segment": segment,
        "page_obj": page,
        "today": today,
        "can_edit": segment.owner_id == request.user.pk,
        "summary": _summary(segment),
    }
    return render(request, "relations/segment_detail.html", context)


def _summary(segment: Segment) -> list[tuple[str, str]]:
    """The criteria as (label, value) pairs, through the form's own labels and choices."""
    form = SegmentForm(initial=SegmentForm.initial_for(segment))
    rows = []
    for name, field in form.fields.items():
        if name in ("name", "shared"):
            continue
        value = form.initial.get(name)
        if value in (None, "", []):
            continue
        if name == "tags_match" and not form.initial.get("tags"):
            continue
        if name == "plans":
            shown = ", ".join(str(p) for p in field.queryset.filter(pk__in=value))  # type: ignore[attr-defined]
        elif hasattr(field, "choices"):
            labels = dict(field.choices)
            values = value if isinstance(value, list) else [value]
            shown = ", ".join(str(labels.get(v, v)) for v in values)
        else:
            shown = str(value)
        rows.append((str(field.label), shown))
    return rows


@require_POST
@staff_required
def segment_remove(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    segment = get_object_or_404(segments_editable_by(request.user), pk=pk)
    name = segment.name
    try:
        segment_delete(segment=segment, by=request.user)
    except (DomainError, ProtectedError):
        messages.error(
            request, _("Segment “%(name)s” is in use and cannot be deleted.") % {"name": name}
        )
        return redirect("relations:segment", pk=segment.pk)
    messages.success(request, _("Segment “%(name)s” deleted.") % {"name": name})
    return redirect("relations:segments")
