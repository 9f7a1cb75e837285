from django.urls import path

from insights import views_surveys

app_name = "surveys"
urlpatterns = [
    path("", views_surveys.portal_surveys, name="list"),
    path("<int:pk>/", views_surveys.portal_survey_answer, name="answer"),
    path("answer/<str:token>/", views_surveys.token_survey_answer, name="token"),
]
