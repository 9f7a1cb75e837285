from django.urls import path

from customers import views

app_name = "customers"
urlpatterns = [
    path("", views.customer_list_view, name="list"),
    path("new/", views.customer_create_view, name="create"),
    path("<int:pk>/", views.customer_detail_view, name="detail"),
    path("<int:pk>/edit/", views.customer_edit_view, name="edit"),
    path("<int:pk>/tier/", views.customer_tier_override_view, name="tier-override"),
    path("<int:pk>/contacts/new/", views.contact_add_view, name="contact-add"),
    path("<int:pk>/contacts/<int:contact_pk>/", views.contact_edit_view, name="contact-edit"),
]
