"""Staff pages under /staff/cancellations/ (namespace "retention")."""

from django.urls import path

from . import views

app_name = "retention"
urlpatterns = [
    path("", views.queue, name="queue"),
    path("new/", views.request_new, name="new"),
    path("<int:pk>/", views.request_detail, name="detail"),
    path("<int:pk>/confirm/", views.confirm, name="confirm"),
    path("<int:pk>/reject/", views.reject, name="reject"),
    path("<int:pk>/offer/", views.offer_make, name="offer"),
    path("<int:pk>/offer/accept/", views.offer_accept, name="offer-accept"),
    path("<int:pk>/contacts/", views.contact_add, name="contact-add"),
    path("offers/", views.offers, name="offers"),
    path("win-back/", views.winback, name="winback"),
    path("win-back/<int:pk>/offer/", views.winback_offer, name="winback-offer"),
]
