"""Survey pages: answering in the portal or from the tokenised link (GET shows the
form, POST records), and the staff results page."""

from __future__ import annotations

from django import forms
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from core.auth import staff_required
from core.errors import DomainError
from core.tokens import TokenInvalid
from portal.access import portal_customer, portal_login_required

from .models import SURVEY_SCALES, Survey, SurveyKind
from .surveys import (
    QUESTIONS,
    satisfaction_results,
    survey_answer,
    survey_from_token,
    surveys_visible_to,
)


class SurveyAnswerForm(forms.Form):
    score = forms.TypedChoiceField(
        label=gettext_lazy("Your answer"), coerce=int, widget=forms.RadioSelect
    )
    comment = forms.CharField(
        label=gettext_lazy("Anything you want to tell us? (optional)"),
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 3, "class": "form-control"}),
    )

    def __init__(self, *args, survey: Survey, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        low, high = SURVEY_SCALES[SurveyKind(survey.kind)]
        score_field = self.fields["score"]
        assert isinstance(score_field, forms.ChoiceField)
        score_field.choices = [(i, str(i)) for i in range(low, high + 1)]
        score_field.label = QUESTIONS[SurveyKind(survey.kind)]


def _answer(request: HttpRequest, survey: Survey, *, template_extra: dict) -> HttpResponse:
    form = SurveyAnswerForm(request.POST or None, survey=survey)
    if request.method == "POST" and not survey.is_answered and form.is_valid():
        try:
            survey_answer(
                survey=survey,
                score=form.cleaned_data["score"],
                comment=form.cleaned_data["comment"],
                by=request.user,
            )
        except DomainError as exc:
            form.add_error(None, exc.message)
        else:
            return render(request, "insights/survey_thanks.html", {"survey": survey})
    return render(
        request, "insights/survey_answer.html", {"survey": survey, "form": form, **template_extra}
    )


@portal_login_required
def portal_surveys(request: HttpRequest) -> HttpResponse:
    customer = portal_customer(request)
    surveys = Survey.objects.filter(customer=customer).select_related("contract")
    return render(
        request,
        "insights/portal_surveys.html",
        {
            "open_surveys": [s for s in surveys if not s.is_answered][:20],
            "answered": [s for s in surveys if s.is_answered][:20],
        },
    )


@portal_login_required
@require_http_methods(["GET", "POST"])
def portal_survey_answer(request: HttpRequest, pk: int) -> HttpResponse:
    customer = portal_customer(request)
    survey = get_object_or_404(Survey, pk=pk, customer=customer)
    return _answer(request, survey, template_extra={"in_portal": True})


@require_http_methods(["GET", "POST"])
def token_survey_answer(request: HttpRequest, token: str) -> HttpResponse:
    """No login needed: the signed token is the key. GET only shows the form."""
    try:
        survey = survey_from_token(token)
    except TokenInvalid as exc:
        return render(request, "insights/survey_invalid.html", {"message": exc.message}, status=400)
    except Survey.DoesNotExist:
        raise Http404 from None
    return _answer(request, survey, template_extra={"in_portal": False})


@staff_required
def satisfaction(request: HttpRequest) -> HttpResponse:
    results = satisfaction_results(surveys=surveys_visible_to(request.user))
    return render(
        request, "insights/satisfaction.html", {**results, "overall_rows": [results["overall"]]}
    )
