"""API clients' credentials: `Authorization: Token <secret>` with a token of `core.tokens`, which expires, may be
revoked, and is kept as a digest only. DRF's session authentication stays first (pages' scripts, Swagger UI).

The same classes are asked by the access middleware (`tenants.middleware._api_user`, through DRF's settings) before
any view runs and then by DRF in the view: the first answer is kept on the request, so a request looks its token up
and notes its use once."""

from django.utils.translation import gettext as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.plumbing import build_bearer_security_scheme_object
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.exceptions import AuthenticationFailed

from core.tokens.selectors import api_token_digest
from core.tokens.services import TokenRefused, api_token_authenticate

KEYWORD = "Token"
# Where the request keeps what its token answered: (digest of the secret, user, token).
_ANSWER = "_stationnet_api_token"


class ExpiringTokenAuthentication(BaseAuthentication):
    def authenticate(self, request):
        words = get_authorization_header(request).split()
        if not words or words[0].lower() != KEYWORD.lower().encode():
            return None
        if len(words) != 2:
            raise AuthenticationFailed(_("The Authorization header must be `Token <secret>`, with no spaces."))
        try:
            secret = words[1].decode("ascii")
        except UnicodeDecodeError:
            raise AuthenticationFailed(_("The API token is not valid.")) from None
        plain = getattr(request, "_request", request)
        digest = api_token_digest(secret)
        answer = getattr(plain, _ANSWER, None)
        if answer is not None and answer[0] == digest:
            return answer[1], answer[2]
        try:
            user, token = api_token_authenticate(secret=secret, request=plain)
        except TokenRefused as refusal:
            raise AuthenticationFailed(str(refusal)) from None
        setattr(plain, _ANSWER, (digest, user, token))
        return user, token

    def authenticate_header(self, request) -> str:
        return KEYWORD


class ExpiringTokenScheme(OpenApiAuthenticationExtension):
    """The token in the OpenAPI schemas (Swagger UI's "Authorize")."""

    target_class = ExpiringTokenAuthentication
    name = "tokenAuth"

    def get_security_definition(self, auto_schema):
        return build_bearer_security_scheme_object(header_name="Authorization", token_prefix=KEYWORD)
