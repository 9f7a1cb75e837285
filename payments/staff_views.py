"""Staff pages of online payments: the list of payment attempts, with mismatches."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from core.auth import staff_required
from payments.models import AttemptStatus
from payments.selectors import attempt_list


@staff_required
def attempt_list_view(request: HttpRequest) -> HttpResponse:
    status = request.GET.get("status", "")
    if status not in AttemptStatus.values:
        status = ""
    mismatches = request.GET.get("mismatches") == "1"
    page = Paginator(
        attempt_list(user=request.user, status=status, mismatches=mismatches), 50
    ).get_page(request.GET.get("page"))
    return render(
        request,
        "payments/staff/attempt_list.html",
        {
            "page": page,
            "status": status,
            "mismatches": mismatches,
            "statuses": AttemptStatus.choices,
        },
    )
