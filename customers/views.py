from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render

from core.access import customers_visible_to
from core.auth import staff_required


@staff_required
def customer_list(request: HttpRequest) -> HttpResponse:
    customers = customers_visible_to(request.user)[:25]
    return render(request, "customers/customer_list.html", {"customers": customers})


@staff_required
def customer_detail(request: HttpRequest, pk: int) -> HttpResponse:
    customer = get_object_or_404(customers_visible_to(request.user), pk=pk)
    return render(request, "customers/customer_detail.html", {"customer": customer})
