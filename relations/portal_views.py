"""The portal's service-level page of a contract: the agreed indicators, the values
measured per period, the breaches and the customer's compensation claims (file one with a
reason, follow its status, see the credit note). Every query goes through the logged-in
customer (portal.access): another customer's contract or measurement answers 404."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core.errors import DomainError
from portal.access import contract_get_for_customer, portal_customer, portal_login_required

from .compensation_claims import claim_file
from .service_level_forms import ClaimFileForm
from .service_level_models import ServiceMeasurement
from .service_levels import contract_service_levels

SECTION = "home"


def _page(
    request: HttpRequest,
    contract,
    *,
    form: ClaimFileForm | None = None,
    form_for: int = 0,
    status: int = 200,
) -> HttpResponse:
    rows = contract_service_levels(contract=contract, as_of=timezone.localdate())
    if not rows:
        raise Http404
    return render(
        request,
        "relations/portal/service_levels.html",
        {
            "contract": contract,
            "rows": rows,
            "claim_form": ClaimFileForm(),
            "bound_form": form,
            "bound_for": form_for,
        },
        status=status,
    )


@portal_login_required
def service_levels(request: HttpRequest, pk: int) -> HttpResponse:
    request.portal_section = SECTION  # type: ignore[attr-defined]
    customer = portal_customer(request)
    return _page(request, contract_get_for_customer(customer=customer, pk=pk))


@portal_login_required
@require_POST
def claim_new(request: HttpRequest, pk: int, measurement_pk: int) -> HttpResponse:
    request.portal_section = SECTION  # type: ignore[attr-defined]
    customer = portal_customer(request)
    contract = contract_get_for_customer(customer=customer, pk=pk)
    try:
        measurement = ServiceMeasurement.objects.select_related("indicator", "contract").get(
            pk=measurement_pk, contract=contract
        )
    except (ServiceMeasurement.DoesNotExist, ValueError) as exc:
        raise Http404 from exc
    form = ClaimFileForm(request.POST)
    if form.is_valid():
        try:
            claim_file(
                customer=customer,
                measurement=measurement,
                reason=form.cleaned_data["reason"],
                by=request.user,
            )
        except DomainError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(
                request,
                _("Your claim is filed. We will tell you our decision."),
            )
            return redirect("portal:service-levels", pk=contract.pk)
    return _page(request, contract, form=form, form_for=measurement.pk, status=400)
