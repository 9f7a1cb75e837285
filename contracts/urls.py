from django.urls import path

from contracts import views

app_name = "contracts"
urlpatterns = [
    path("", views.contract_list_view, name="list"),
    path("new/", views.contract_create_view, name="create"),
    path("<int:pk>/", views.contract_detail_view, name="detail"),
    path("<int:pk>/edit/", views.contract_edit_view, name="edit"),
    path("<int:pk>/send/", views.contract_send_view, name="send"),
    path("<int:pk>/return-to-draft/", views.contract_return_to_draft_view, name="return-to-draft"),
    path("<int:pk>/sign/", views.contract_sign_view, name="sign"),
    path("<int:pk>/pay/", views.contract_pay_view, name="pay"),
    path("<int:pk>/void/", views.contract_void_view, name="void"),
    path("<int:pk>/auto-renew/", views.contract_auto_renew_view, name="auto-renew"),
]
