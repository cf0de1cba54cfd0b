"""API tokens: getting one with a user name and password (`/api/v1/auth/token/`, the API's sign-in, strictly
throttled), and a person's own tokens (`/api/v1/tokens/`: list, make, revoke) on both kinds of host. The bureau's
security administrator lists anyone's (`?user=<user name>`) and revokes anyone's."""

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from api.base import UserAPIView
from api.pagination import paginate, paginated_schema
from api.serializers import ModelSerializer, Serializer
from api.throttling import AddressThrottle, TokenIssueThrottle
from core.tokens.models import ApiToken, TokenState
from core.tokens.selectors import api_token_access, api_token_list_all, api_token_list_mine, may_manage_every_token
from core.tokens.services import api_token_create, api_token_issue, api_token_revoke


class TokenSerializer(ModelSerializer):
    username = serializers.CharField(source="user.username", read_only=True)
    state = serializers.ChoiceField(choices=TokenState.choices, read_only=True)
    state_display = serializers.CharField(source="get_state_display", read_only=True)
    revoked_by = serializers.CharField(source="revoked_by.username", read_only=True, allow_null=True, default=None)

    class Meta:
        model = ApiToken
        fields = [
            "id",
            "username",
            "name",
            "prefix",
            "created_at",
            "expires_at",
            "last_used_at",
            "state",
            "state_display",
            "revoked_at",
            "revoked_by",
        ]
        read_only_fields = fields


class TokenIssuedSerializer(TokenSerializer):
    token = serializers.CharField(
        help_text=gettext_lazy("The secret: shown this once, never again. Send it as `Authorization: Token <secret>`.")
    )

    class Meta(TokenSerializer.Meta):
        fields = ["token", *TokenSerializer.Meta.fields]
        read_only_fields = fields


class TokenCreateSerializer(Serializer):
    name = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")
    days = serializers.IntegerField(
        min_value=1,
        max_value=settings.API_TOKEN_MAX_DAYS,
        required=False,
        allow_null=True,
        default=None,
        help_text=gettext_lazy("Days the token is valid (by default 90)."),
    )


class TokenIssueSerializer(TokenCreateSerializer):
    username = serializers.CharField(max_length=150)
    password = serializers.CharField(max_length=4096, trim_whitespace=False, style={"input_type": "password"})
    otp = serializers.CharField(
        max_length=64,
        required=False,
        allow_blank=True,
        default="",
        help_text=gettext_lazy("The two-factor code, for an account that signs in with two factors."),
    )


def _issued(token: ApiToken, secret: str, code: int = status.HTTP_201_CREATED) -> Response:
    token.token = secret  # on this answer only: never stored
    return Response(TokenIssuedSerializer(token).data, status=code)


@extend_schema(auth=[])
class TokenIssueView(APIView):
    """POST a user name and password (and the two-factor code where the account has one): a new API token of that
    user, valid for `days`. The secret is in this answer only. Needs no session or token of its own; a few attempts a
    minute per address."""

    authentication_classes = []
    permission_classes = [AllowAny]
    throttle_classes = [TokenIssueThrottle, AddressThrottle]

    @extend_schema(request=TokenIssueSerializer, responses={200: TokenIssuedSerializer})
    def post(self, request):
        serializer = TokenIssueSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        token, secret = api_token_issue(request=request._request, **serializer.validated_data)
        # 200, as the token endpoint always answered.
        return _issued(token, secret, status.HTTP_200_OK)


USER_PARAMETER = OpenApiParameter(
    "user",
    OpenApiTypes.STR,
    description=gettext_lazy("A user name: that person's tokens (security administrators only)."),
)


class TokenListView(UserAPIView):
    """The caller's API tokens, newest first (expired and revoked ones too); POST makes a new one, whose secret is in
    that answer only."""

    @paginated_schema(TokenSerializer, parameters=[USER_PARAMETER])
    def get(self, request):
        username = request.query_params.get("user", "")
        if username and username != request.user.username:
            if not may_manage_every_token(user=request.user):
                raise PermissionDenied(_("Only a security administrator lists other people's tokens."))
            return paginate(self, request, api_token_list_all(username=username), TokenSerializer)
        return paginate(self, request, api_token_list_mine(user=request.user), TokenSerializer)

    @extend_schema(request=TokenCreateSerializer, responses={201: TokenIssuedSerializer})
    def post(self, request):
        serializer = TokenCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        token, secret = api_token_create(
            actor=request.user, user=request.user, request=request._request, **serializer.validated_data
        )
        return _issued(token, secret)


class TokenDetailView(UserAPIView):
    """One of the caller's tokens (a security administrator: anyone's); DELETE revokes it at once (it stays listed)."""

    @extend_schema(responses=TokenSerializer)
    def get(self, request, pk):
        return Response(TokenSerializer(api_token_access(pk=pk, user=request.user)).data)

    @extend_schema(responses={200: TokenSerializer})
    def delete(self, request, pk):
        token = api_token_access(pk=pk, user=request.user)
        token = api_token_revoke(actor=request.user, token=token, request=request._request)
        return Response(TokenSerializer(token).data)
