from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render

from core.access import contracts_visible_to
from core.auth import staff_required


@staff_required
def contract_list(request: HttpRequest) -> HttpResponse:
    contracts = contracts_visible_to(request.user).select_related("customer")[:25]
    return render(request, "contracts/contract_list.html", {"contracts": contracts})


@staff_required
def contract_detail(request: HttpRequest, pk: int) -> HttpResponse:
    contract = get_object_or_404(contracts_visible_to(request.user), pk=pk)
    return render(request, "contracts/contract_detail.html", {"contract": contract})
