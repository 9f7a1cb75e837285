from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, status
from rest_framework.response import Response

from customers.access import customers_visible_to
from customers.models import Contact
from customers.services import contact_save, customer_create, customer_update

from ..filters import ContactFilter, CustomerFilter
from ..serializers.customers import ContactSerializer, CustomerSerializer
from .base import FILTERS_WITH_SEARCH, ApiViewSet


@extend_schema_view(
    list=extend_schema(summary="List customers", tags=["customers"]),
    retrieve=extend_schema(summary="Get a customer", tags=["customers"]),
    create=extend_schema(summary="Create a customer", tags=["customers"]),
    partial_update=extend_schema(summary="Update a customer", tags=["customers"]),
)
class CustomerViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, ApiViewSet
):
    serializer_class = CustomerSerializer
    filterset_class = CustomerFilter
    filter_backends = FILTERS_WITH_SEARCH
    search_fields = ["code", "name"]
    ordering_fields = ["code", "name", "created_at", "updated_at", "id"]
    ordering = ["code"]
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_queryset(self) -> QuerySet:
        return customers_visible_to(self.request.user).select_related("account_manager")

    def create(self, request: Any, *args: Any, **kwargs: Any) -> Response:
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        contact = data.pop("contact", None)
        data.setdefault("account_manager", request.user)
        customer = customer_create(by=request.user, contact=contact, **data)
        return Response(self.get_serializer(customer).data, status=status.HTTP_201_CREATED)

    def partial_update(self, request: Any, *args: Any, **kwargs: Any) -> Response:
        customer = self.get_object()
        serializer = self.get_serializer(customer, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        data.pop("contact", None)
        data.pop("code", None)
        customer = customer_update(customer=customer, by=request.user, **data)
        return Response(self.get_serializer(customer).data)


@extend_schema_view(
    list=extend_schema(summary="List contacts", tags=["customers"]),
    retrieve=extend_schema(summary="Get a contact", tags=["customers"]),
    create=extend_schema(summary="Add a contact to a customer", tags=["customers"]),
    partial_update=extend_schema(summary="Update a contact", tags=["customers"]),
)
class ContactViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, ApiViewSet
):
    serializer_class = ContactSerializer
    filterset_class = ContactFilter
    ordering_fields = ["name", "created_at", "updated_at", "id"]
    ordering = ["customer_id", "-is_primary", "name", "id"]
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_queryset(self) -> QuerySet:
        return Contact.objects.filter(
            customer__in=customers_visible_to(self.request.user)
        ).select_related("customer")

    def create(self, request: Any, *args: Any, **kwargs: Any) -> Response:
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        customer = data.pop("customer")
        contact = contact_save(customer=customer, by=request.user, **data)
        return Response(self.get_serializer(contact).data, status=status.HTTP_201_CREATED)

    def partial_update(self, request: Any, *args: Any, **kwargs: Any) -> Response:
        contact = self.get_object()
        serializer = self.get_serializer(contact, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        data.pop("customer", None)
        contact = contact_save(customer=contact.customer, by=request.user, contact=contact, **data)
        return Response(self.get_serializer(contact).data)
